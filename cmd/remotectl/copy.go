package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/remotectl/remotectl/internal/secret"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// transferOptions are the flags and dependencies of copy and fetch.
type transferOptions struct {
	runDeps
	Command string // copy or fetch
	// Size is the bytes each host receives, -1 when unknown until each host
	// has listed what it sends (fetch).
	Size int64
	Job  transferJob

	Become        bool
	BecomeUser    string
	AskBecomePass bool
}

func addTransferFlags(f *pflag.FlagSet, o *transferOptions, verb string) {
	f.BoolVar(&o.Become, "become", false, verb+" through sudo as the become user (sudo -n first)")
	f.StringVar(&o.BecomeUser, "become-user", "", "user to become (default root); implies --become")
	f.BoolVar(&o.AskBecomePass, "ask-become-pass", false, "prompt once for the sudo password (needs a terminal)")
}

// newCopyCmd returns the copy command; runF, when not nil, runs instead of
// runTransfer.
func newCopyCmd(f *factory, runF func(context.Context, *transferOptions) error) *cobra.Command {
	o := &transferOptions{runDeps: f.runDeps(), Command: "copy"}
	if runF == nil {
		runF = runTransfer
	}
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
				return usageError{Err: errors.New("copy needs at least one source and a destination: remotectl copy SRC... DEST")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			srcs, dest := args[:len(args)-1], args[len(args)-1]
			var size int64
			for _, s := range srcs {
				n, err := remote.LocalSize(s)
				if err != nil {
					return usageError{Err: err}
				}
				size += n
			}
			o.Size = size
			o.Job = func(ctx context.Context, t remote.Transport, hio remote.HostIO, p remote.ProgressFunc, log *report.TransferLog) error {
				for _, src := range srcs {
					if err := remote.PutTree(ctx, t, src, dest, p); err != nil {
						return err
					}
					line := fmt.Sprintf("copied %s to %s", src, remote.PutPath(t, dest, src))
					log.Say(hio, line, line)
				}
				return nil
			}
			return runF(cmd.Context(), o)
		},
	}
	addTransferFlags(cmd.Flags(), o, "write")
	return cmd
}

// newFetchCmd returns the fetch command; runF, when not nil, runs instead
// of runTransfer.
func newFetchCmd(f *factory, runF func(context.Context, *transferOptions) error) *cobra.Command {
	o := &transferOptions{runDeps: f.runDeps(), Command: "fetch", Size: -1}
	if runF == nil {
		runF = runTransfer
	}
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
			o.Job = func(ctx context.Context, t remote.Transport, hio remote.HostIO, p remote.ProgressFunc, log *report.TransferLog) error {
				hostDir := filepath.Join(dir, report.SafeName(hio.Target.Name))
				if err := os.MkdirAll(hostDir, 0o755); err != nil {
					return err
				}
				if err := remote.GetTree(ctx, t, src, hostDir, p); err != nil {
					return err
				}
				base := remote.GetName(t, src)
				log.Say(hio, fmt.Sprintf("fetched %s to %s", src, filepath.Join(hostDir, base)),
					fmt.Sprintf("fetched %s to %s", src, filepath.Join(dir, "<host>", base)))
				return nil
			}
			return runF(cmd.Context(), o)
		},
	}
	addTransferFlags(cmd.Flags(), o, "read")
	return cmd
}

// transferJob moves files for one host; p reports bytes as they move, log
// what was moved.
type transferJob func(ctx context.Context, t remote.Transport, hio remote.HostIO, p remote.ProgressFunc, log *report.TransferLog) error

// runTransfer fans a transfer (copy or fetch) out like exec does, with a
// progress line on a terminal.
func runTransfer(ctx context.Context, o *transferOptions) error {
	g := o.Settings()
	ropts := g.reportOptions(o.IO, "")
	if err := ropts.Validate(); err != nil {
		return usageError{Err: err}
	}
	inv, err := o.Inventory(ctx)
	if err != nil {
		return err
	}
	hosts, err := g.selectTargets(inv, o.Command)
	if err != nil {
		return err
	}
	targets := g.targets(hosts)
	if o.Become || o.BecomeUser != "" {
		for i := range targets {
			targets[i].Become = true
			if o.BecomeUser != "" {
				targets[i].BecomeUser = o.BecomeUser
			}
		}
	}
	secrets, err := askSecrets(o.IO, false, o.AskBecomePass)
	if err != nil {
		return err
	}
	dialer, err := o.Dialer(secrets, targets)
	if err != nil {
		return err
	}
	defer dialer.Close()

	log := report.NewTransferLog(g.Output == report.FormatText)
	var prog *ops.TransferProgress
	if g.terminal(o.IO).WantsStatusLine() {
		prog = ops.NewTransferProgress(o.IO.Err, targets, o.Size, o.Now)
		drawBelow(o.IO)(prog.StatusLine)
		ropts.Out, ropts.Err = prog.Writer(ropts.Out), prog.Writer(ropts.Err)
		prog.Start()
		defer prog.Stop()
	}
	runner := &remote.Runner{Dialer: prog.Dialer(dialer), Forks: g.Forks, Timeout: g.Timeout}
	job := func(ctx context.Context, t remote.Transport, hio remote.HostIO) (remote.Result, error) {
		start := o.Now()
		err := o.Job(ctx, t, hio, prog.Host(hio.Target.Name), log)
		return remote.Result{Duration: o.Now().Sub(start)}, err
	}
	// Before the recap: the progress line goes, the folded lines come.
	onEnd := func() {
		prog.Stop()
		if !g.Quiet {
			log.Write(o.IO.Out)
		}
	}
	masker := &secret.Masker{}
	masker.Add(inventory.SecretsOf(hosts, o.IO.Getenv)...)
	masker.Add(secrets.values()...)
	events := ops.Pump(runner.Run(ctx, targets, job), masker, []func(remote.Event){prog.Observe}, nil, onEnd)

	summary, renderErr := report.Render(events, targets, ropts)
	if renderErr != nil { // the transfers are done: the output problem is the exit code (74)
		return outputError{renderErr, report.SummaryExitCode(summary, ctx.Err() != nil)}
	}
	if code := report.SummaryExitCode(summary, ctx.Err() != nil); code != report.ExitOK {
		return exitError{code}
	}
	return nil
}
