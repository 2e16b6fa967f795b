package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// TestMain lets testscript run the real remotectl (this test binary, re-executed)
// as the `remotectl` command of the scripts in testdata/script.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"remotectl": func() { os.Exit(mainExit()) },
		// A netcat for ProxyCommand tests, without depending on an installed nc.
		"rctl-netcat": func() { os.Exit(remotetest.Netcat(os.Args[1:])) },
	})
}

// TestScripts runs the CLI end to end: testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Never read the developer's settings or ~/.ssh.
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/home/.config")
			env.Setenv("NO_COLOR", "")
			env.Setenv("SSH_AUTH_SOCK", "")
			return nil
		},
		RequireExplicitExec: true,
		Cmds:                scriptCmds,
	})
}

// scriptCmds are the scripts' own commands:
//
//	gone PATTERN   waits (up to 15s) until no process's command line matches
//	               PATTERN (pgrep -f), and fails if one still does. Processes
//	               a run stopped may take a moment to be reaped, more so on a
//	               loaded machine: a single pgrep right away would be flaky.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"gone": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: gone PATTERN")
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			out, err := exec.Command("pgrep", "-a", "-f", args[0]).Output()
			if err != nil { // pgrep exits 1 when nothing matches
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("still running after 15s:\n%s", out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	},
	"samestate": sameState, // oracle_cmds_test.go
	"samerecap": sameRecap,
}

// runForTest runs remotectl in-process with captured, non-TTY streams.
func runForTest(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
	code = run(context.Background(), args, s, builtinTransports())
	return out.String(), errb.String(), code
}
