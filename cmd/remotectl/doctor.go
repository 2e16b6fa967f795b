package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
	"github.com/remotectl/remotectl/remote/winrm"
)

// doctorOptions are the doctor command's own settings.
type doctorOptions struct {
	AskPass       bool
	AskBecomePass bool
}

func newDoctorCmd(a *app) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor [-H PATTERN]",
		Short: "Diagnose, step by step, why hosts can or cannot be reached",
		Long: `Diagnose each selected host step by step, each problem with a concrete fix.

SSH hosts: settings (inventory + ssh_config), name resolution, TCP connect, the
server's banner and algorithm offer, the host key against known_hosts, the
authentication methods the server accepts against the credentials remotectl would
offer, a login running "true", and "sudo -n true" (a problem only when become is set).

WinRM hosts: settings, name resolution, which of the HTTP (5985) and HTTPS (5986)
listeners answer, the TLS certificate (issuer, expiry, names), the authentication
schemes offered, whether traffic would cross the network unencrypted, a login, and a
trivial command.

Hosts are diagnosed in parallel (--forks); the steps of a host run in order, and a
step whose prerequisite failed is skipped. Nothing is written: known_hosts is not
changed, except that under host_key_policy accept-new the login step records a new
key exactly as any run would.

Each step is marked ok, info, warn (worth fixing, not blocking), FAIL (blocking) or
skip; on a terminal ✓ i ! ✗ -. -o json prints one document.

Exit code 0 when every host is healthy (no blocking problem), 2 when some host has
one, 130 when interrupted.`,
		Example: `  remotectl doctor -H web01
  remotectl doctor -i inventory.yaml -H 'windows' -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDoctor(cmd.Context(), a, &o) },
	}
	cmd.Flags().BoolVar(&o.AskPass, "ask-pass", false, "prompt once for the login password (needs a terminal)")
	cmd.Flags().BoolVar(&o.AskBecomePass, "ask-become-pass", false, "prompt once for the sudo password (needs a terminal)")
	return cmd
}

// stepStatus is the outcome of one diagnostic step.
type stepStatus string

const (
	statusOK   stepStatus = "ok"
	statusInfo stepStatus = "info" // worth knowing, nothing to fix
	statusWarn stepStatus = "warn" // worth fixing, not blocking
	statusFail stepStatus = "fail" // blocking: the host cannot be used
	statusSkip stepStatus = "skip" // a prerequisite failed
)

// finding is the result of one step: what was seen and, for problems, what
// to do.
type finding struct {
	Step    string     `json:"step"`
	Status  stepStatus `json:"status"`
	Summary string     `json:"summary"`
	Fix     string     `json:"fix,omitempty"`
	// Class is the error class of a failed connection attempt.
	Class string `json:"error_class,omitempty"`
	// Facts are what the step observed, by name (algorithms, names, files).
	Facts map[string][]string `json:"facts,omitempty"`
}

// diagnosis is everything doctor found about one host.
type diagnosis struct {
	Host      string    `json:"host"`
	Transport string    `json:"transport"`
	Healthy   bool      `json:"healthy"`
	Steps     []finding `json:"steps"`
}

// step is one diagnostic step: it runs only when every step it needs ended
// ok, info or warn.
type step struct {
	name  string
	needs []string
	run   func(ctx context.Context) finding
}

// runSteps runs steps in order, skipping those whose prerequisites did not
// pass, and stops (skipping the rest) when ctx is done.
func runSteps(ctx context.Context, steps []step) []finding {
	outcome := map[string]stepStatus{}
	out := make([]finding, 0, len(steps))
	for _, s := range steps {
		f := finding{Step: s.name}
		switch blocker := firstBlocker(outcome, s.needs); {
		case ctx.Err() != nil:
			f.Status, f.Summary = statusSkip, "skipped: interrupted"
		case blocker != "":
			f.Status, f.Summary = statusSkip, "skipped: "+blocker+" did not pass"
		default:
			f = s.run(ctx)
			f.Step = s.name
		}
		outcome[s.name] = f.Status
		out = append(out, f)
	}
	return out
}

// firstBlocker returns the first needed step that failed or was skipped.
func firstBlocker(outcome map[string]stepStatus, needs []string) string {
	for _, n := range needs {
		if st := outcome[n]; st == statusFail || st == statusSkip {
			return n
		}
	}
	return ""
}

// failed turns a classified error into a blocking finding.
func failed(err error) finding {
	return finding{Status: statusFail, Summary: err.Error(), Fix: remote.HintOf(err), Class: remote.ClassOf(err).String()}
}

// doctorDeps are the dialers a doctor run shares between hosts.
type doctorDeps struct {
	newSSH func() (*ssh.Dialer, error)
	winrm  *winrm.Dialer
}

func runDoctor(ctx context.Context, a *app, o *doctorOptions) error {
	if a.g.Output != "text" && a.g.Output != "json" {
		return usageError{fmt.Errorf("doctor prints text or json (-o json), not %q", a.g.Output)}
	}
	_, hosts, err := a.selectHosts(ctx)
	if err != nil {
		return err
	}
	targets := a.targets(hosts)
	secrets, err := a.askSecrets(o.AskPass, o.AskBecomePass)
	if err != nil {
		return err
	}
	var (
		sshOnce   sync.Once
		sshDialer *ssh.Dialer
		sshErr    error
	)
	deps := doctorDeps{
		newSSH: func() (*ssh.Dialer, error) {
			sshOnce.Do(func() { sshDialer, sshErr = ssh.NewDialer(a.sshOptions(secrets)) })
			return sshDialer, sshErr
		},
		winrm: winrm.NewDialer(winrm.Options{Warn: a.io.Err, Password: secrets.Password, ConnectTimeout: a.g.ConnectTimeout}),
	}
	defer func() {
		if sshDialer != nil {
			sshDialer.Close()
		}
	}()

	results := diagnoseAll(ctx, a, deps, targets)
	healthy := true
	if a.g.Output == "json" {
		var all []diagnosis
		for r := range results {
			all = append(all, r)
			healthy = healthy && r.Healthy
		}
		if err := writeJSON(a.io.Out, all); err != nil {
			return err
		}
	} else {
		w := doctorWriter{out: a.io.Out, unicode: a.io.OutTTY, verbose: a.g.Verbose > 0}
		var bad []string
		for r := range results {
			w.host(r)
			if !r.Healthy {
				healthy = false
				bad = append(bad, r.Host)
			}
		}
		w.recap(len(targets), bad)
	}
	if code := doctorExitCode(healthy, ctx.Err() != nil); code != exitOK {
		return exitError{code}
	}
	return nil
}

// diagnoseAll diagnoses the targets in parallel (at most --forks at once)
// and yields the diagnoses in target order as soon as each is ready.
func diagnoseAll(ctx context.Context, a *app, deps doctorDeps, targets []remote.Target) <-chan diagnosis {
	type done struct {
		i int
		d diagnosis
	}
	finished := make(chan done)
	sem := make(chan struct{}, a.g.Forks)
	go func() {
		var wg sync.WaitGroup
		for i, t := range targets {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				hctx, cancel := ctx, context.CancelFunc(func() {})
				if a.g.Timeout > 0 {
					hctx, cancel = context.WithTimeout(ctx, a.g.Timeout)
				}
				defer cancel()
				finished <- done{i, diagnose(hctx, deps, t)}
			})
		}
		wg.Wait()
		close(finished)
	}()
	ordered := make(chan diagnosis)
	go func() {
		defer close(ordered)
		pending := map[int]diagnosis{}
		next := 0
		for r := range finished {
			pending[r.i] = r.d
			for d, ok := pending[next]; ok; d, ok = pending[next] {
				ordered <- d
				delete(pending, next)
				next++
			}
		}
	}()
	return ordered
}

// diagnose runs the steps of one host's transport.
func diagnose(ctx context.Context, deps doctorDeps, t remote.Target) diagnosis {
	var steps []step
	release := func() {}
	switch t.Transport {
	case remote.KindSSH, "":
		steps, release = sshSteps(deps, t)
	case remote.KindWinRM:
		steps, release = winrmSteps(deps.winrm, t)
	case remote.KindLocal:
		steps = []step{{name: "local", run: func(context.Context) finding {
			return finding{Status: statusOK, Summary: "runs on this machine: no network, nothing to diagnose"}
		}}}
	default:
		steps = []step{{name: "settings", run: func(context.Context) finding {
			return finding{Status: statusFail, Summary: fmt.Sprintf("unknown transport %q", t.Transport),
				Fix: "set the host's transport to ssh, winrm or local in the inventory"}
		}}}
	}
	d := diagnosis{Host: t.Name, Transport: t.Transport, Healthy: true}
	if d.Transport == "" {
		d.Transport = remote.KindSSH
	}
	d.Steps = runSteps(ctx, steps)
	release()
	for _, f := range d.Steps {
		if f.Status == statusFail || f.Status == statusSkip {
			d.Healthy = false
		}
	}
	return d
}

// resolveStep checks that host resolves; skipped (info) when a jump host
// resolves it.
func resolveStep(ctx context.Context, host, via string) finding {
	if via != "" {
		return finding{Status: statusInfo, Summary: fmt.Sprintf("%s is resolved by the jump host %s", host, via)}
	}
	if ip := net.ParseIP(host); ip != nil {
		return finding{Status: statusOK, Summary: host + " is an IP address"}
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		class := remote.NetClass(err)
		if class == remote.ClassNone {
			class = remote.ClassDNS
		}
		return finding{Status: statusFail, Class: class.String(),
			Summary: fmt.Sprintf("%s does not resolve: %v", host, err),
			Fix:     "check the host name, or set the host's address in the inventory (ansible_host / address)"}
	}
	sort.Strings(addrs)
	return finding{Status: statusOK, Summary: fmt.Sprintf("%s resolves to %s", host, strings.Join(addrs, ", ")),
		Facts: map[string][]string{"addresses": addrs}}
}

// errNoSSHDialer wraps a failure to set up the SSH transport at all.
var errNoSSHDialer = errors.New("cannot set up the SSH transport")
