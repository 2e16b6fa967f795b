package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newManCmd generates man pages for every command from the command tree.
func newManCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write man pages for every command into DIR",
		Long: `Write a man page for every command into DIR (created if needed): remotectl.1,
remotectl-exec.1, ... each titled after its command (REMOTECTL-EXEC(1)). Read one with
man -l DIR/remotectl-exec.1, or install them in a man1 directory of MANPATH.`,
		Example: `  remotectl man ./man
  sudo remotectl man /usr/local/share/man/man1`,
		Args: exactArgs(1, "man needs a directory: remotectl man DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := filepath.Abs(args[0])
			if err != nil {
				return usageError{Err: fmt.Errorf("man: %w", err)}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return usageError{Err: fmt.Errorf("man: %w", err)}
			}
			root.DisableAutoGenTag = true
			// No Title: each page is titled after its command, REMOTECTL-EXEC(1).
			hdr := &doc.GenManHeader{Section: "1", Source: "remotectl", Manual: "remotectl manual"}
			if err := doc.GenManTree(root, hdr, dir); err != nil {
				return fmt.Errorf("writing man pages: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d man pages in %s (read one with: man -l %s)\n",
				manPages(root), dir, filepath.Join(dir, "remotectl-exec.1"))
			return nil
		},
	}
}

// manPages counts the pages doc.GenManTree writes for cmd and below.
func manPages(cmd *cobra.Command) int {
	n := 1
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() && !c.IsAdditionalHelpTopicCommand() {
			n += manPages(c)
		}
	}
	return n
}
