package main

import (
	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/report"
)

// newReportCmd returns report merge: the -o json documents of the shards of
// one run (--shard K/N) as one report, in any -o format of their command.
func newReportCmd(f *factory) *cobra.Command {
	merge := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Merge the JSON documents of the shards of one run (exec, check, play) into one report",
		Long: `Reads the -o json documents of every shard of one run (--shard 1/N ... N/N, one --run-id)
and prints one report in any -o format of their command, with the run's exit code. Missing or
repeated shards, hosts in two documents, mixed commands or run ids: exit 65, nothing merged.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			m, err := report.MergeFiles(files)
			if err != nil {
				return inputError{Err: err}
			}
			g, io := f.Settings(), f.IO
			if err := m.CheckFormat(g.Output); err != nil {
				return usageError{Err: err}
			}
			code, err := m.Write(g.Output, io.Out, io.Err, io.ColorEnabled(g.Color))
			if err == nil && code != report.ExitOK {
				return exitError{code}
			}
			return err
		},
	}
	cmd := &cobra.Command{Use: "report", Short: "Work with the JSON reports of runs"}
	cmd.AddCommand(merge)
	return cmd
}
