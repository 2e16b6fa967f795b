package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/runrec"
)

// runsOptions are the flags and dependencies of the runs commands.
type runsOptions struct {
	IO    *streams
	Store func() (runrec.Store, error)

	JSON  bool
	Limit int      // runs list: newest N (0: all)
	IDs   []string // runs show: one; runs diff: the older and the newer
}

// newRunsCmd returns the runs command; runF, when not nil, runs instead of
// runsList, runsShow and runsDiff.
func newRunsCmd(f *factory, runF func(*runsOptions) error) *cobra.Command {
	o := &runsOptions{IO: f.IO, Store: f.RunStore}
	listF, showF, diffF := runsList, runsShow, runsDiff
	if runF != nil {
		listF, showF, diffF = runF, runF, runF
	}
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
		RunE:  func(*cobra.Command, []string) error { return listF(o) },
	}
	list.Flags().IntVarP(&o.Limit, "number", "n", 0, "list only the newest N runs (0: all)")
	completeIDs := func(n int) cobra.CompletionFunc {
		return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) >= n {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeRunIDs(f.RunStore)(cmd, args, toComplete)
		}
	}
	withIDs := func(run func(*runsOptions) error) func(*cobra.Command, []string) error {
		return func(_ *cobra.Command, args []string) error { o.IDs = args; return run(o) }
	}
	show := &cobra.Command{
		Use:               "show ID",
		Short:             "Show one run host by host",
		Args:              exactArgs(1, "runs show needs a run ID (see remotectl runs list), or last"),
		ValidArgsFunction: completeIDs(1),
		RunE:              withIDs(showF),
	}
	diff := &cobra.Command{
		Use:               "diff A B",
		Short:             "Compare two runs host by host: status, exit code, output, checks that flipped",
		Args:              exactArgs(2, "runs diff needs two run IDs: remotectl runs diff last~1 last"),
		ValidArgsFunction: completeIDs(2),
		RunE:              withIDs(diffF),
	}
	cmd.AddCommand(list, show, diff)
	return cmd
}

// runStore returns the history store, or a usage error when there is no
// place for it.
func runStore(getenv func(string) string) (runrec.Store, error) {
	dir := runrec.DefaultDir(getenv)
	if dir == "" {
		return runrec.Store{}, usageError{Err: errors.New("no run history: neither XDG_STATE_HOME nor HOME is set")}
	}
	return runrec.Store{Dir: dir}, nil
}

func runsList(o *runsOptions) error {
	store, err := o.Store()
	if err != nil {
		return err
	}
	recs, listErr := store.List()
	if o.Limit > 0 && len(recs) > o.Limit {
		recs = recs[len(recs)-o.Limit:]
	}
	switch {
	case o.JSON:
		err = writeJSON(o.IO.Out, recs)
	case len(recs) == 0 && listErr == nil:
		fmt.Fprintf(o.IO.Err, "no runs recorded yet in %s\n", store.Dir)
	default:
		err = runrec.WriteList(o.IO.Out, recs)
	}
	if err != nil {
		return err
	}
	if listErr != nil {
		return inputError{Err: listErr}
	}
	return nil
}

func runsShow(o *runsOptions) error {
	rec, err := loadRun(o.Store, o.IDs[0])
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(o.IO.Out, rec)
	}
	return runrec.WriteShow(o.IO.Out, rec)
}

func runsDiff(o *runsOptions) error {
	older, err := loadRun(o.Store, o.IDs[0])
	if err != nil {
		return err
	}
	newer, err := loadRun(o.Store, o.IDs[1])
	if err != nil {
		return err
	}
	diffs := runrec.Diff(older, newer)
	if o.JSON {
		return writeJSON(o.IO.Out, runrec.NewDiffDoc(older, newer, diffs))
	}
	return runrec.WriteDiff(o.IO.Out, older, newer, diffs)
}

// loadRun loads a run by ID (or prefix, last, last~N); an unknown run is a
// usage error.
func loadRun(stores func() (runrec.Store, error), id string) (*runrec.Record, error) {
	store, err := stores()
	if err != nil {
		return nil, err
	}
	rec, err := store.Load(id)
	if errors.Is(err, runrec.ErrNotFound) || errors.Is(err, runrec.ErrAmbiguous) {
		return nil, usageError{Err: err}
	}
	if err != nil {
		return nil, inputError{Err: err}
	}
	return rec, nil
}
