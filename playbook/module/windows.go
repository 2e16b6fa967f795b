package module

// windowsModules are the windows modules.
func windowsModules() []*Module {
	return nil
}
