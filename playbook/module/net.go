package module

// netModules are the net modules.
func netModules() []*Module {
	return nil
}
