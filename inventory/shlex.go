package inventory

import "github.com/remotectl/remotectl/remote"

// shlexSplit splits a line into words the way Python's shlex.split(line,
// comments=True) does, which Ansible uses for INI host lines (see
// remote.ShlexSplit).
func shlexSplit(line string) ([]string, error) { return remote.ShlexSplit(line, true) }
