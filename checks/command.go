package checks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// maxCommandOutput bounds what a command check keeps of each stream.
const maxCommandOutput = 16 << 20

// runCommand runs a command check's command through the host's shell and
// observes its exit status and output. A command still running at the
// timeout is stopped, and its properties are errors ("did not finish").
func runCommand(ctx context.Context, exec Executor, s *CommandSpec, timeout time.Duration, prepare func(*remote.Cmd)) (*observed, time.Duration) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stdout := &limitedBuffer{max: maxCommandOutput}
	stderr := &limitedBuffer{max: maxCommandOutput}
	start := time.Now()
	cmd := &remote.Cmd{Shell: s.Exec, Stdout: stdout, Stderr: stderr}
	prepare(cmd)
	res, err := exec.Run(cctx, cmd)
	d := time.Since(start)
	if err != nil {
		if ctx.Err() == nil && (errors.Is(cctx.Err(), context.DeadlineExceeded) || remote.ClassOf(err) == remote.ClassTimeout) {
			// goss: a command that times out is an error, not a failure.
			return failure(fmt.Sprintf("the command did not finish within %s", timeout)), d
		}
		return failure("the command could not run: " + err.Error()), d
	}
	o := newObserved().
		set("exit-status", intValue(int64(res.ExitCode))).
		set("stdout", textValue(stdout.String())).
		set("stderr", textValue(stderr.String()))
	if res.Signal != "" {
		o.note("exit-status", "killed by signal "+res.Signal)
	}
	for name, b := range map[string]*limitedBuffer{"stdout": stdout, "stderr": stderr} {
		if b.overflow {
			o.note(name, fmt.Sprintf("only the first %d MiB were kept", maxCommandOutput>>20))
		}
	}
	return o, d
}
