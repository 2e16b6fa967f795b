//go:build !unix

package ssh

import "os/exec"

// ownProcessGroup does nothing where process groups do not exist.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the command alone.
func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
