//go:build unix

package inventory

import (
	"os/exec"
	"syscall"
)

// startProcessGroup makes a dynamic inventory the leader of a process group
// of its own, and makes cancelling it kill the whole group: a script's
// children (curl, a cloud CLI, a background sleep) go with it.
func startProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		killProcessGroup(cmd)
		return nil
	}
}

// killProcessGroup kills what is left of a started command's process group
// (nothing, usually: then the kill fails with ESRCH, which is fine).
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
