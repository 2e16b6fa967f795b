package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/report"
)

// newReportCmd returns report merge: the -o json documents of the shards of
// one run (--shard K/N) as one report, in any -o format of their command.
func newReportCmd(f *factory) *cobra.Command {
	merge := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Merge the JSON documents of the shards of one run (exec, check, play) into one report",
		Long: `Reads the -o json documents of every shard of one run (--shard 1/N ... N/N, the same
--run-id) and prints one report in any -o format of their command, with the exit code the
whole run would have had. A missing or repeated shard, a host in two documents, mixed
commands or run ids are input errors (exit 65) naming the files: nothing is merged.`,
		Example: "  remotectl report merge shard-*.json -o text",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var in []report.MergeInput
			for _, name := range files {
				data, err := os.ReadFile(name)
				if err != nil {
					return inputError{Err: err}
				}
				in = append(in, report.MergeInput{File: name, Data: data})
			}
			m, err := report.Merge(in)
			if err != nil {
				return inputError{Err: err}
			}
			g, io := f.Settings(), f.IO
			if names := report.FormatNames(outputFormats()[m.Run.Command]); !slices.Contains(names, g.Output) {
				return usageError{Err: fmt.Errorf("-o %s: %s results are written as %v", g.Output, m.Run.Command, names)}
			}
			bits, configErr, err := m.Write(g.Output, io.Out, io.Err, io.ColorEnabled(g.Color))
			if code := runExitCode(bits, configErr, false); err == nil && code != exitOK {
				return exitError{code}
			}
			return err
		},
	}
	cmd := &cobra.Command{Use: "report", Short: "Work with the JSON reports of runs"}
	cmd.AddCommand(merge)
	return cmd
}
