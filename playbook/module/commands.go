package module

// commandModules are the commands modules.
func commandModules() []*Module {
	return nil
}
