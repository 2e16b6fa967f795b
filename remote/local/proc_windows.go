//go:build windows

package local

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// startProcessGroup passes a cmd /C command line through untouched: cmd.exe
// does not follow the quoting rules exec applies to arguments.
func startProcessGroup(cmd *exec.Cmd) {
	if len(cmd.Args) == 3 && strings.EqualFold(cmd.Args[0], "cmd") && cmd.Args[1] == "/C" {
		cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: "cmd /C " + cmd.Args[2]}
	}
}

// terminate kills the process. Windows has no process groups to signal:
// children the command started are not reached.
func terminate(p *os.Process) error { return p.Kill() }

// kill has nothing left to do once the process is gone.
func kill(*os.Process) {}

// exitStatus returns the exit code of a finished process; Windows has no
// signals.
func exitStatus(ps *os.ProcessState) (code int, signal string) { return ps.ExitCode(), "" }
