package module

// fileModules are the files modules.
func fileModules() []*Module {
	return []*Module{
		copyModule(),
		templateModule(),
		fileModule(),
	}
}
