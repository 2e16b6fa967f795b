package remotetest

import (
	"context"
	"errors"
	"os"
)

// pwshProcess is a run of the PowerShell simulator behind a WS-Management
// command, with pipes as a process has.
type pwshProcess struct {
	stdin, stdout, stderr *os.File // the server's ends
	id                    int
	cancel                context.CancelFunc
	done                  chan int
}

// startPwshProcess runs script with the simulator in the background; cwd is
// the Windows path of its current location.
func startPwshProcess(sim *PowerShell, script, cwd string, env []string) (*pwshProcess, error) {
	inR, inW, err1 := os.Pipe()
	outR, outW, err2 := os.Pipe()
	errR, errW, err3 := os.Pipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		for _, f := range []*os.File{inR, inW, outR, outW, errR, errW} {
			if f != nil {
				_ = f.Close()
			}
		}
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &pwshProcess{stdin: inW, stdout: outR, stderr: errR, id: int(100000 + sim.pids.Add(1)), cancel: cancel, done: make(chan int, 1)}
	go func() {
		code := sim.Run(ctx, script, inR, outW, errW, cwd, env)
		_ = inR.Close()
		_ = outW.Close()
		_ = errW.Close()
		p.done <- code
	}()
	return p, nil
}

func (p *pwshProcess) files() (stdin, stdout, stderr *os.File) { return p.stdin, p.stdout, p.stderr }
func (p *pwshProcess) pid() int                                { return p.id }

// signal stops the run (it ends at its next statement, or when it reads
// or sleeps); Windows has no gentler signal.
func (p *pwshProcess) signal(wsmanSignal) { p.cancel() }

func (p *pwshProcess) wait() int {
	code := <-p.done
	p.done <- code
	return code
}

func (p *pwshProcess) closeOutput() {
	_ = p.stdout.Close()
	_ = p.stderr.Close()
}
