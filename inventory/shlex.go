package inventory

import "github.com/remotectl/remotectl/remote"

// shlexSplit splits a line into words the way Python's shlex.split(line,
// comments=True) does, which Ansible uses for INI host lines (see
// remote.ShlexSplit).
func shlexSplit(line string) ([]string, error) { return remote.ShlexSplit(line, true) }

// shlexSplitArgs splits a command line the way Python's shlex.split(line)
// does, which Ansible uses for ansible_ssh_common_args and
// ansible_ssh_extra_args: as shlexSplit, but '#' is an ordinary character.
func shlexSplitArgs(line string) ([]string, error) { return remote.ShlexSplit(line, false) }
