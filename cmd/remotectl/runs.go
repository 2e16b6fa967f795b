package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// runsOptions are the settings of the runs commands.
type runsOptions struct {
	JSON  bool
	Limit int // runs list: newest N (0: all)
}

func newRunsCmd(a *app) *cobra.Command {
	var o runsOptions
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Show the history of runs: list, show one, compare two",
		Long: `Every run of exec, check and play is recorded in $XDG_STATE_HOME/remotectl/runs
(default ~/.local/state/remotectl/runs): the command, when, and per host the status, exit
code, error class, a digest and the first KiB of the output, and check results. The newest
--keep-runs runs are kept (default 100; 0 records nothing). Dry runs (play --check) are
recorded as such: runs list shows them as "play --check", runs show as "dry run (--check)",
and --rerun never starts from one.

A run is named by its ID, a unique prefix or suffix of it ("3fa2"), "last", or "last~N" (N
runs before the last). exec, check and play take --rerun failed|unreachable|changed to run
again on the hosts of the last real run of the same command (or of --from ID).`,
		Example: `  remotectl runs list
  remotectl runs show last
  remotectl runs diff last~1 last
  remotectl exec -H web --rerun failed -- systemctl restart nginx`,
	}
	cmd.PersistentFlags().BoolVar(&o.JSON, "json", false, "write JSON instead of text")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the recorded runs, oldest first",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return runsList(a, &o) },
	}
	list.Flags().IntVarP(&o.Limit, "number", "n", 0, "list only the newest N runs (0: all)")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one run host by host",
		Args:  exactArgs(1, "runs show needs a run ID (see remotectl runs list), or last"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeRunIDs(a)(cmd, args, toComplete)
		},
		RunE: func(_ *cobra.Command, args []string) error { return runsShow(a, &o, args[0]) },
	}
	diff := &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two runs host by host: status, exit code, output, checks that flipped",
		Args:  exactArgs(2, "runs diff needs two run IDs: remotectl runs diff last~1 last"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 1 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeRunIDs(a)(cmd, args, toComplete)
		},
		RunE: func(_ *cobra.Command, args []string) error { return runsDiff(a, &o, args[0], args[1]) },
	}
	cmd.AddCommand(list, show, diff)
	return cmd
}

// runStore returns the history store, or a usage error when there is no
// place for it.
func (a *app) runStore() (runrec.Store, error) {
	dir := runrec.DefaultDir(a.io.Getenv)
	if dir == "" {
		return runrec.Store{}, usageError{errors.New("no run history: neither XDG_STATE_HOME nor HOME is set")}
	}
	return runrec.Store{Dir: dir}, nil
}

func runsList(a *app, o *runsOptions) error {
	store, err := a.runStore()
	if err != nil {
		return err
	}
	recs, listErr := store.List()
	if o.Limit > 0 && len(recs) > o.Limit {
		recs = recs[len(recs)-o.Limit:]
	}
	if o.JSON {
		if err := writeJSON(a.io.Out, recs); err != nil {
			return err
		}
	} else if len(recs) == 0 && listErr == nil {
		fmt.Fprintf(a.io.Err, "no runs recorded yet in %s\n", store.Dir)
	} else {
		tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTARTED\tDURATION\tEXIT\tHOSTS\tCOMMAND")
		for _, rec := range recs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", rec.ID, rec.Start.Local().Format(time.DateTime),
				rec.Duration().Round(time.Millisecond), rec.ExitCode, hostCounts(rec), commandLine(rec))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if listErr != nil {
		return inputError{listErr}
	}
	return nil
}

// hostCounts is "12 (ok 10, failed 2)".
func hostCounts(rec *runrec.Record) string {
	counts := rec.Counts()
	var parts []string
	for _, s := range []string{runrec.StatusOK, runrec.StatusFailed, runrec.StatusError, runrec.StatusUnreachable, runrec.StatusTimeout, runrec.StatusCancelled} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
		}
	}
	return fmt.Sprintf("%d (%s)", len(rec.Hosts), strings.Join(parts, ", "))
}

// commandLine is how the run was asked for, shortened for a table.
func commandLine(rec *runrec.Record) string {
	s := rec.Command
	if rec.DryRun {
		s += " --check"
	}
	if rec.Pattern != "" {
		s += " -H " + rec.Pattern
	}
	if len(rec.Args) > 0 {
		s += " -- " + strings.Join(rec.Args, " ")
	}
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}

func runsShow(a *app, o *runsOptions, id string) error {
	rec, err := loadRun(a, id)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(a.io.Out, rec)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "run %s: remotectl %s\n", rec.ID, commandLine(rec))
	fmt.Fprintf(&b, "started %s, took %s, exit %d", rec.Start.Local().Format(time.DateTime), rec.Duration().Round(time.Millisecond), rec.ExitCode)
	if rec.DeadlineExpired {
		b.WriteString(", deadline passed")
	}
	if rec.Interrupted {
		b.WriteString(", interrupted")
	}
	if rec.DryRun {
		b.WriteString(", dry run (--check): nothing was changed")
	}
	b.WriteString("\n")
	for i := range rec.Hosts {
		writeHost(&b, &rec.Hosts[i])
	}
	fmt.Fprintf(&b, "hosts: %s\n", hostCounts(rec))
	_, err = io.WriteString(a.io.Out, b.String())
	return err
}

// writeHost writes one host of a run: status line, output heads, checks
// that did not pass.
func writeHost(b *strings.Builder, h *runrec.Host) {
	fmt.Fprintf(b, "%s: %s", report.Printable(h.Name), hostOutcome(h))
	fmt.Fprintf(b, " (%s)\n", (time.Duration(h.DurationMS) * time.Millisecond).String())
	if h.Error != "" {
		fmt.Fprintf(b, "  error: %s\n", report.Printable(h.Error))
	}
	for _, s := range []struct {
		name string
		d    *runrec.Digest
	}{{"stdout", h.Stdout}, {"stderr", h.Stderr}} {
		if s.d == nil || s.d.Size == 0 {
			continue
		}
		fmt.Fprintf(b, "  %s (%d bytes, sha256 %s):\n", s.name, s.d.Size, s.d.SHA256[:12])
		writeHead(b, "    ", s.d.Head)
		if s.d.Truncated {
			b.WriteString("    ...\n")
		}
	}
	for _, c := range h.Checks {
		if c.Status != "pass" && c.Status != "skip" {
			fmt.Fprintf(b, "  %s: %s %s", c.Status, report.Printable(c.Check), report.Printable(c.Property))
			if c.Message != "" {
				fmt.Fprintf(b, ": %s", report.Printable(c.Message))
			}
			b.WriteString("\n")
		}
	}
}

// writeHead writes the recorded head of an output, each line behind
// prefix and terminal-safe: the control characters a host sent are shown
// escaped (\x1b), never passed to the terminal.
func writeHead(b *strings.Builder, prefix, head string) {
	for line := range strings.Lines(head) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		b.WriteString(prefix + report.Printable(line) + "\n")
	}
}

// hostOutcome is "ok (exit 0)", "failed (exit 2)", "unreachable (refused)".
func hostOutcome(h *runrec.Host) string {
	switch {
	case h.NotStarted:
		return h.Status + " (not started)"
	case h.ErrorClass != "":
		return h.Status + " (" + h.ErrorClass + ")"
	case h.Signal != "":
		return h.Status + " (signal " + h.Signal + ")"
	case h.ExitCode != nil:
		return fmt.Sprintf("%s (exit %d)", h.Status, *h.ExitCode)
	}
	return h.Status
}

func runsDiff(a *app, o *runsOptions, idA, idB string) error {
	older, err := loadRun(a, idA)
	if err != nil {
		return err
	}
	newer, err := loadRun(a, idB)
	if err != nil {
		return err
	}
	diffs := runrec.Diff(older, newer)
	if o.JSON {
		return writeJSON(a.io.Out, struct {
			From  string            `json:"from"`
			To    string            `json:"to"`
			Hosts []runrec.HostDiff `json:"hosts"`
		}{older.ID, newer.ID, append([]runrec.HostDiff{}, diffs...)})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s  %s\n+++ %s  %s\n", older.ID, commandLine(older), newer.ID, commandLine(newer))
	if older.Key != newer.Key {
		b.WriteString("note: the two runs ran different commands\n")
	}
	var same []string
	changed := make(map[string]bool, len(diffs))
	for _, d := range diffs {
		changed[d.Host] = true
		writeDiff(&b, &d)
	}
	for i := range newer.Hosts {
		if !changed[newer.Hosts[i].Name] {
			same = append(same, newer.Hosts[i].Name)
		}
	}
	fmt.Fprintf(&b, "%d host(s) changed", len(diffs))
	if len(same) > 0 {
		fmt.Fprintf(&b, ", unchanged: %s", nodeset.Fold(same))
	}
	b.WriteString("\n")
	_, err = io.WriteString(a.io.Out, b.String())
	return err
}

// writeDiff writes how one host changed.
func writeDiff(b *strings.Builder, d *runrec.HostDiff) {
	switch d.Change {
	case runrec.HostAdded:
		fmt.Fprintf(b, "%s: only in the newer run: %s\n", report.Printable(d.Host), hostOutcome(d.To))
		return
	case runrec.HostRemoved:
		fmt.Fprintf(b, "%s: only in the older run: %s\n", report.Printable(d.Host), hostOutcome(d.From))
		return
	}
	from, to := hostOutcome(d.From), hostOutcome(d.To)
	if from != to {
		fmt.Fprintf(b, "%s: %s -> %s\n", report.Printable(d.Host), from, to)
	} else {
		fmt.Fprintf(b, "%s: %s\n", report.Printable(d.Host), to)
	}
	for _, s := range []struct {
		name     string
		changed  bool
		from, to *runrec.Digest
	}{{"stdout", d.StdoutChanged, d.From.Stdout, d.To.Stdout}, {"stderr", d.StderrChanged, d.From.Stderr, d.To.Stderr}} {
		if !s.changed {
			continue
		}
		fmt.Fprintf(b, "  %s changed:\n", s.name)
		writeHead(b, "    - ", s.from.Head)
		writeHead(b, "    + ", s.to.Head)
	}
	for _, f := range d.Flipped {
		fmt.Fprintf(b, "  check %s %s: %s -> %s\n", f.Check, f.Property, orNone(f.From), orNone(f.To))
	}
}

func orNone(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// loadRun loads a run by ID (or prefix, last, last~N); an unknown run is a
// usage error.
func loadRun(a *app, id string) (*runrec.Record, error) {
	store, err := a.runStore()
	if err != nil {
		return nil, err
	}
	rec, err := store.Load(id)
	if errors.Is(err, runrec.ErrNotFound) || errors.Is(err, runrec.ErrAmbiguous) {
		return nil, usageError{err}
	}
	if err != nil {
		return nil, inputError{err}
	}
	return rec, nil
}
