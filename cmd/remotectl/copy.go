package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// transferOptions are the settings copy and fetch share.
type transferOptions struct {
	Become        bool
	BecomeUser    string
	AskBecomePass bool
}

func addTransferFlags(f *pflag.FlagSet, o *transferOptions, verb string) {
	f.BoolVar(&o.Become, "become", false, verb+" through sudo as the become user (sudo -n first)")
	f.StringVar(&o.BecomeUser, "become-user", "", "user to become (default root); implies --become")
	f.BoolVar(&o.AskBecomePass, "ask-become-pass", false, "prompt once for the sudo password (needs a terminal)")
}

func newCopyCmd(a *app) *cobra.Command {
	var o transferOptions
	cmd := &cobra.Command{
		Use:   "copy [-H PATTERN] [--become] SRC... DEST",
		Short: "Copy local files and directories to DEST on every selected host",
		Long: `Copy local files and directories (recursively, permission bits and symbolic links kept)
into the directory DEST on every selected host, over SFTP. Files are written to a temporary
name and renamed, so readers never see a partial file. With --become, files are written
through sudo as the become user (root by default), who then owns them, so DEST may be a
directory only root can write. A progress line (bytes, rate, time left) is shown on a
terminal; the hosts each result is true for are folded (web[01-20]). Exit codes as for exec.`,
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
			var size int64
			for _, s := range srcs {
				n, err := remote.LocalSize(s)
				if err != nil {
					return usageError{err}
				}
				size += n
			}
			return runTransfer(cmd.Context(), a, "copy", &o, size, func(ctx context.Context, t remote.Transport, hio remote.HostIO, p remote.ProgressFunc, log *transferLog) error {
				for _, src := range srcs {
					if err := putTree(ctx, t, src, dest, p); err != nil {
						return err
					}
					line := fmt.Sprintf("copied %s to %s", src, path.Join(dest, filepath.Base(src)))
					log.say(hio, line, line)
				}
				return nil
			})
		},
	}
	addTransferFlags(cmd.Flags(), &o, "write")
	return cmd
}

func newFetchCmd(a *app) *cobra.Command {
	var o transferOptions
	cmd := &cobra.Command{
		Use:   "fetch [-H PATTERN] [--become] REMOTE LOCALDIR",
		Short: "Copy a file or directory from every selected host into LOCALDIR/HOST/",
		Long: `Copy the file or directory REMOTE (recursively) from every selected host into
LOCALDIR/HOST/, so hosts never overwrite each other. A REMOTE that is a symbolic link is
followed, as scp does: the copy has the link's name and what it points to. With --become,
REMOTE (a file) is read through sudo, so files only root may read can be fetched.
Exit codes as for exec.`,
		Example: `  remotectl fetch -H web /var/log/nginx/error.log ./logs
  remotectl fetch -H db --become /etc/shadow ./audit`,
		Args: exactArgs(2, "fetch needs a remote path and a local directory: remotectl fetch REMOTE LOCALDIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, dir := args[0], args[1]
			return runTransfer(cmd.Context(), a, "fetch", &o, -1, func(ctx context.Context, t remote.Transport, hio remote.HostIO, p remote.ProgressFunc, log *transferLog) error {
				hostDir := filepath.Join(dir, report.SafeName(hio.Target.Name))
				if err := os.MkdirAll(hostDir, 0o755); err != nil {
					return err
				}
				if err := getTree(ctx, t, src, hostDir, p); err != nil {
					return err
				}
				base := path.Base(src)
				log.say(hio, fmt.Sprintf("fetched %s to %s", src, filepath.Join(hostDir, base)),
					fmt.Sprintf("fetched %s to %s", src, filepath.Join(dir, "<host>", base)))
				return nil
			})
		},
	}
	addTransferFlags(cmd.Flags(), &o, "read")
	return cmd
}

// transferJob moves files for one host; p reports bytes as they move, log
// what was moved.
type transferJob func(ctx context.Context, t remote.Transport, hio remote.HostIO, p remote.ProgressFunc, log *transferLog) error

// runTransfer fans a transfer (command copy or fetch) out like exec does,
// with a progress line on a terminal. size is the bytes each host receives,
// -1 when unknown until each host has listed what it sends (fetch).
func runTransfer(ctx context.Context, a *app, command string, o *transferOptions, size int64, fn transferJob) error {
	ropts := a.reportOptions("")
	if err := ropts.Validate(); err != nil {
		return usageError{err}
	}
	inv, err := a.loadInventory(ctx)
	if err != nil {
		return err
	}
	hosts, err := a.selectTargets(inv, command)
	if err != nil {
		return err
	}
	targets := a.targets(hosts)
	if o.Become || o.BecomeUser != "" {
		for i := range targets {
			targets[i].Become = true
			if o.BecomeUser != "" {
				targets[i].BecomeUser = o.BecomeUser
			}
		}
	}
	secrets, err := a.askSecrets(false, o.AskBecomePass)
	if err != nil {
		return err
	}
	dialer, err := a.newDialer(secrets, targets)
	if err != nil {
		return err
	}
	defer dialer.Close()

	log := &transferLog{fold: a.g.Output == report.FormatText, lines: map[string][]string{}}
	var prog *ops.TransferProgress
	if a.terminal().WantsStatusLine() {
		prog = ops.NewTransferProgress(a.io.Err, targets, size, time.Now)
		a.drawBelow(prog.StatusLine)
		ropts.Out, ropts.Err = prog.Writer(ropts.Out), prog.Writer(ropts.Err)
		prog.Start()
		defer prog.Stop()
	}
	runner := &remote.Runner{Dialer: prog.Dialer(dialer), Forks: a.g.Forks, Timeout: a.g.Timeout}
	job := func(ctx context.Context, t remote.Transport, hio remote.HostIO) (remote.Result, error) {
		start := time.Now()
		err := fn(ctx, t, hio, prog.Host(hio.Target.Name), log)
		return remote.Result{Duration: time.Since(start)}, err
	}
	// Before the recap: the progress line goes, the folded lines come.
	onEnd := func() {
		prog.Stop()
		if !a.g.Quiet {
			log.write(a.io.Out)
		}
	}
	masker := &secret.Masker{}
	masker.Add(a.hostSecrets(hosts)...)
	masker.Add(secrets.values()...)
	events := ops.Pump(runner.Run(ctx, targets, job), masker, []func(remote.Event){prog.Observe}, nil, onEnd)

	summary, renderErr := report.Render(events, targets, ropts)
	if renderErr != nil { // the transfers are done: the output problem is the exit code (74)
		return outputError{renderErr, summaryExitCode(summary, ctx.Err() != nil)}
	}
	if code := summaryExitCode(summary, ctx.Err() != nil); code != exitOK {
		return exitError{code}
	}
	return nil
}

// transferLog tells what each host's transfer did. In text mode, each line
// is written once, after the run, with the hosts it is true for: "copied
// big.bin to /tmp/x: web[01-20]"; otherwise it is the host's output.
type transferLog struct {
	fold  bool
	mu    sync.Mutex
	order []string            // lines, as first said
	lines map[string][]string // line → hosts
}

// say records line for the host; folded is the same line for every host
// it is true for (fetch names the host's directory "<host>").
func (l *transferLog) say(hio remote.HostIO, line, folded string) {
	if !l.fold {
		fmt.Fprintln(hio.Stdout, line)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, seen := l.lines[folded]; !seen {
		l.order = append(l.order, folded)
	}
	l.lines[folded] = append(l.lines[folded], hio.Target.Name)
}

// write writes the folded lines.
func (l *transferLog) write(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.order {
		fmt.Fprintf(w, "%s: %s\n", line, nodeset.Fold(l.lines[line]))
	}
}

func putTree(ctx context.Context, t remote.Transport, src, dest string, p remote.ProgressFunc) error {
	if tc, ok := t.(remote.TreeCopier); ok {
		return tc.PutTree(ctx, src, dest, p)
	}
	// Transports without tree copy (local, WinRM): single files through Upload.
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
	return t.Upload(ctx, path.Join(dest, filepath.Base(src)), remote.NewProgress(fi.Size(), p).Reader(f), fi.Mode().Perm())
}

func getTree(ctx context.Context, t remote.Transport, src, localDir string, p remote.ProgressFunc) error {
	if tc, ok := t.(remote.TreeCopier); ok {
		return tc.GetTree(ctx, src, localDir, p)
	}
	f, err := os.Create(filepath.Join(localDir, path.Base(src)))
	if err != nil {
		return err
	}
	if err := t.Download(ctx, src, remote.NewProgress(-1, p).Writer(f)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
