package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
	"github.com/remotectl/remotectl/report"
)

// treeCopier is the optional capability of transports that copy whole trees
// (SSH over SFTP).
type treeCopier interface {
	PutTree(ctx context.Context, localPath, remoteDir string, progress ssh.ProgressFunc) error
	GetTree(ctx context.Context, remotePath, localDir string, progress ssh.ProgressFunc) error
}

func newCopyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "copy [-H PATTERN] SRC... DEST",
		Short: "Copy local files and directories to DEST on every selected host",
		Long: `Copy local files and directories (recursively, permission bits and symbolic links kept)
into the directory DEST on every selected host, over SFTP. Files are written to a temporary
name and renamed, so readers never see a partial file. A progress line is shown on a
terminal. Exit codes as for exec.`,
		Example: `  remotectl copy -H web ./site /srv/www
  remotectl copy -H db --become backup.conf /etc/backup/`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError{errors.New("copy needs at least one source and a destination: remotectl copy SRC... DEST")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			srcs, dest := args[:len(args)-1], args[len(args)-1]
			for _, s := range srcs {
				if _, err := os.Lstat(s); err != nil {
					return usageError{err}
				}
			}
			return runTransfer(cmd.Context(), a, func(ctx context.Context, t remote.Transport, hio remote.HostIO, p ssh.ProgressFunc) error {
				for _, src := range srcs {
					if err := putTree(ctx, t, src, dest, p); err != nil {
						return err
					}
					fmt.Fprintf(hio.Stdout, "copied %s to %s\n", src, path.Join(dest, filepath.Base(src)))
				}
				return nil
			})
		},
	}
}

func newFetchCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "fetch [-H PATTERN] REMOTE LOCALDIR",
		Short: "Copy a file or directory from every selected host into LOCALDIR/HOST/",
		Long: `Copy the file or directory REMOTE (recursively) from every selected host into
LOCALDIR/HOST/, so hosts never overwrite each other. Exit codes as for exec.`,
		Example: `  remotectl fetch -H web /var/log/nginx/error.log ./logs`,
		Args:    exactArgs(2, "fetch needs a remote path and a local directory: remotectl fetch REMOTE LOCALDIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, dir := args[0], args[1]
			return runTransfer(cmd.Context(), a, func(ctx context.Context, t remote.Transport, hio remote.HostIO, p ssh.ProgressFunc) error {
				hostDir := filepath.Join(dir, report.SafeName(hio.Target.Name))
				if err := os.MkdirAll(hostDir, 0o755); err != nil {
					return err
				}
				if err := getTree(ctx, t, src, hostDir, p); err != nil {
					return err
				}
				fmt.Fprintf(hio.Stdout, "fetched %s to %s\n", src, filepath.Join(hostDir, path.Base(src)))
				return nil
			})
		},
	}
}

// transferJob moves files for one host; p reports bytes as they move.
type transferJob func(ctx context.Context, t remote.Transport, hio remote.HostIO, p ssh.ProgressFunc) error

// runTransfer fans a transfer out like exec does, with a progress line on a
// terminal.
func runTransfer(ctx context.Context, a *app, fn transferJob) error {
	ropts := a.reportOptions("")
	if err := ropts.Validate(); err != nil {
		return usageError{err}
	}
	_, hosts, err := a.selectHosts()
	if err != nil {
		return err
	}
	targets := a.targets(hosts)
	dialer, err := a.newDialer(secrets{}, targets)
	if err != nil {
		return err
	}
	defer dialer.Close()

	prog := newTransferProgress(a, len(targets))
	defer prog.stop()
	runner := &remote.Runner{Dialer: dialer, Forks: a.g.Forks, Timeout: a.g.Timeout}
	job := func(ctx context.Context, t remote.Transport, hio remote.HostIO) (remote.Result, error) {
		start := time.Now()
		err := fn(ctx, t, hio, prog.host())
		prog.hostDone()
		return remote.Result{Duration: time.Since(start)}, err
	}
	summary, renderErr := report.Render(prog.until(runner.Run(ctx, targets, job)), targets, ropts)
	if renderErr != nil {
		fmt.Fprintf(a.io.Err, "remotectl: %v\n", renderErr)
	}
	if code := summaryExitCode(summary, ctx.Err() != nil); code != exitOK {
		return exitError{code}
	}
	return nil
}

func putTree(ctx context.Context, t remote.Transport, src, dest string, p ssh.ProgressFunc) error {
	if tc, ok := t.(treeCopier); ok {
		return tc.PutTree(ctx, src, dest, p)
	}
	// Transports without tree copy (local): single files through Upload.
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return remote.Errorf(remote.ClassOther, "copy", "%s is a directory: recursive copy needs the ssh transport", src)
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return t.Upload(ctx, path.Join(dest, filepath.Base(src)), f, fi.Mode().Perm())
}

func getTree(ctx context.Context, t remote.Transport, src, localDir string, p ssh.ProgressFunc) error {
	if tc, ok := t.(treeCopier); ok {
		return tc.GetTree(ctx, src, localDir, p)
	}
	f, err := os.Create(filepath.Join(localDir, path.Base(src)))
	if err != nil {
		return err
	}
	if err := t.Download(ctx, src, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// transferProgress draws one status line on stderr while transfers run, on
// a terminal only: bytes moved across all hosts and hosts finished.
type transferProgress struct {
	w           io.Writer
	hosts       int
	done, total atomic.Int64
	finished    atomic.Int64
	quit        chan struct{}
	exited      chan struct{}
	stopped     atomic.Bool
}

func newTransferProgress(a *app, hosts int) *transferProgress {
	p := &transferProgress{w: a.io.Err, hosts: hosts, quit: make(chan struct{}), exited: make(chan struct{})}
	if !a.io.ErrTTY || a.g.Quiet || a.g.Output != "text" {
		p.stopped.Store(true)
		close(p.exited)
		return p
	}
	go p.loop()
	return p
}

// host returns a progress callback for one host; ProgressFunc reports the
// host's running totals, so each callback keeps its last values to add deltas.
func (p *transferProgress) host() ssh.ProgressFunc {
	var lastDone, lastTotal int64
	return func(done, total int64) {
		p.done.Add(done - lastDone)
		p.total.Add(total - lastTotal)
		lastDone, lastTotal = done, total
	}
}

func (p *transferProgress) hostDone() { p.finished.Add(1) }

// until forwards events and erases the progress line before the last one
// is seen, so the recap that follows never mixes with it.
func (p *transferProgress) until(events <-chan remote.Event) <-chan remote.Event {
	out := make(chan remote.Event, cap(events))
	go func() {
		for ev := range events {
			out <- ev
		}
		p.stop()
		close(out)
	}()
	return out
}

func (p *transferProgress) loop() {
	defer close(p.exited)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.quit:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-tick.C:
			fmt.Fprintf(p.w, "\r\033[K%s / %s, %d/%d hosts done",
				humanBytes(p.done.Load()), humanBytes(p.total.Load()), p.finished.Load(), p.hosts)
		}
	}
}

// stop erases the progress line and returns once it is gone.
func (p *transferProgress) stop() {
	if p.stopped.CompareAndSwap(false, true) {
		close(p.quit)
	}
	<-p.exited
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
