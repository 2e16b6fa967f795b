//go:build !linux

package remotetest

import (
	"errors"
	"runtime"
	"syscall"
	"time"
)

// sshdPlatformSupported reports whether the real-sshd harness works here: it
// needs Linux's /proc to find and kill sshd's descendants.
func sshdPlatformSupported() error {
	return errors.New("the real-sshd harness needs Linux (/proc), not " + runtime.GOOS)
}

// sshdSysProcAttr is nil: no sshd is started on this platform.
func sshdSysProcAttr() *syscall.SysProcAttr { return nil }

// procInfo is one process; the list is always empty on this platform.
type procInfo struct {
	pid, ppid int
	state     byte
	cmdline   string
}

// listProcesses returns nil: there is no /proc to read.
func listProcesses() []procInfo { return nil }

// fleetProcesses returns nil: there is no /proc to read.
func fleetProcesses(roots []int, servers map[string]bool) []int { return nil }

// killProcessTrees is never reached: StartSSHD refuses to run here.
func killProcessTrees(roots []int, servers map[string]bool, keepRoots bool, timeout time.Duration) error {
	if len(roots) == 0 {
		return nil
	}
	return errors.New("killing process trees needs Linux (/proc)")
}
