package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTerminalWidthCapsPrefixes runs exec with stdout on an 80-column
// terminal and in a pipe: on the terminal a long host name is shortened in
// the middle to 24 columns; in the pipe it is whole, for the programs that
// read it.
func TestTerminalWidthCapsPrefixes(t *testing.T) {
	long := "db-primary-replica-eu-west-1a.example.com"
	inv := filepath.Join(t.TempDir(), "inv.yaml")
	if err := os.WriteFile(inv, []byte("hosts:\n  "+long+": { transport: local }\n  web01: { transport: local }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		tty   bool
		width int
		want  string
	}{
		{"terminal", true, 80, `(?m)^db-primary-…\.example\.com \| hi\nweb01 {19} \| hi\n|^web01 {19} \| hi\ndb-primary-…\.example\.com \| hi\n`},
		{"wide terminal", true, 200, `(?m)^db-primary-replica-eu-west-1a\.example\.com \| hi$`},
		{"pipe", false, 0, `(?m)^db-primary-replica-eu-west-1a\.example\.com \| hi$`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, OutTTY: tt.tty, Width: tt.width,
				Getenv: func(k string) string {
					if k == "NO_COLOR" {
						return "1"
					}
					return ""
				}}
			if code := run(context.Background(), []string{"exec", "-i", inv, "-H", "all", "--", "echo hi"}, s, builtinTransports()); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if !regexp.MustCompile(tt.want).MatchString(out.String()) {
				t.Errorf("stdout:\n%s\nwant it to match %s", out.String(), tt.want)
			}
		})
	}
}
