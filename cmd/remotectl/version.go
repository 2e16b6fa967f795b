package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/remotectl/remotectl/internal/proc"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise
// it is read from the module and VCS information Go embeds.
var version = ""

func newVersionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(f.IO.Out, proc.Version(version))
			return nil
		},
	}
}
