//go:build !linux

package checks

// localReadable: only Linux gathers read the host in Go.
const localReadable = false

// localReader reads nothing here: every request runs in the script.
type localReader struct{}

func newLocalReader() *localReader { return &localReader{} }

func (rd *localReader) handles([]string) bool { return false }

func (rd *localReader) read([]string) (section, bool) { return section{}, false }
