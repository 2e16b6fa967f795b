package module

// packageModules are the packages modules.
func packageModules() []*Module {
	return nil
}
