package module

// fileModules are the files modules.
func fileModules() []*Module {
	return []*Module{
		copyModule(),
		templateModule(),
		fileModule(),
		lineinfileModule(),
		blockinfileModule(),
		replaceModule(),
		statModule(),
		slurpModule(),
		findModule(),
		tempfileModule(),
		fetchModule(),
		unarchiveModule(),
	}
}
