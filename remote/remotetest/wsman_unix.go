//go:build unix

package remotetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// wsmanPlatformSupported reports whether commands can run here.
func wsmanPlatformSupported() error {
	if _, err := os.Stat("/bin/sh"); err != nil {
		return fmt.Errorf("remotetest: the WS-Management test server runs commands with /bin/sh: %w", err)
	}
	return nil
}

// wsmanProcess is a command's /bin/sh process, leader of its own process
// group, with the parent's ends of its pipes.
type wsmanProcess struct {
	cmd            *exec.Cmd
	stdin          *os.File
	stdout, stderr *os.File
}

// startWSManProcess runs "/bin/sh -c script" in a new process group.
func startWSManProcess(script, dir string, env []string) (*wsmanProcess, error) {
	var ends []*os.File // every pipe end, closed on failure
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			ends = append(ends, r, w)
		}
		return r, w, err
	}
	inR, inW, err1 := pipe()
	outR, outW, err2 := pipe()
	errR, errW, err3 := pipe()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err := errors.Join(err1, err2, err3)
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		for _, f := range ends {
			_ = f.Close()
		}
		return nil, err
	}
	for _, f := range []*os.File{inR, outW, errW} { // the child's ends
		_ = f.Close()
	}
	return &wsmanProcess{cmd: cmd, stdin: inW, stdout: outR, stderr: errR}, nil
}

func (p *wsmanProcess) pid() int { return p.cmd.Process.Pid }

// signal signals the whole process group (ESRCH, when it is gone, is fine).
func (p *wsmanProcess) signal(sig wsmanSignal) {
	s := map[wsmanSignal]syscall.Signal{
		wsmanSigTerminate: syscall.SIGTERM,
		wsmanSigInterrupt: syscall.SIGINT,
		wsmanSigQuit:      syscall.SIGQUIT,
		wsmanSigKill:      syscall.SIGKILL,
	}[sig]
	_ = syscall.Kill(-p.cmd.Process.Pid, s)
}

// wait reaps the process and returns its exit code: 128+N when signal N
// killed it, as POSIX shells report it (WinRM has no exit signal).
func (p *wsmanProcess) wait() int {
	_ = p.cmd.Wait()
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return p.cmd.ProcessState.ExitCode()
}

// closeOutput closes the parent's ends of stdout and stderr, ending the
// pumps even when a process that left the group still holds the pipes.
func (p *wsmanProcess) closeOutput() {
	_ = p.stdout.Close()
	_ = p.stderr.Close()
}
