//go:build !unix

package inventory

import "os/exec"

// startProcessGroup leaves the command as it is: without process groups,
// cancelling kills the executable only.
func startProcessGroup(*exec.Cmd) {}

// killProcessGroup has no group to kill.
func killProcessGroup(*exec.Cmd) {}
