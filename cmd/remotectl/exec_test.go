package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"github.com/remotectl/remotectl/report"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/remotectl/remotectl/internal/settings"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/ops"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// fakeFleet is a factory over scripted hosts: an inventory of hosts, the
// fake transport for all of them, in-memory streams, settings sg.
type fakeFleet struct {
	f        *factory
	fake     *remotetest.Fake
	out, err *bytes.Buffer
}

func newFakeFleet(t *testing.T, sg settings.Globals, scripts map[string]remotetest.Script, hosts ...string) *fakeFleet {
	t.Helper()
	var inv strings.Builder
	inv.WriteString("hosts:\n")
	for _, h := range hosts {
		inv.WriteString("  " + h + ": {}\n")
	}
	g := globals{sg}
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(path, []byte(inv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	g.Inventories = []string{path}
	g.Forks = max(g.Forks, 1)
	g.Output = cmp.Or(g.Output, "text")
	ff := &fakeFleet{fake: &remotetest.Fake{Scripts: scripts}, out: &bytes.Buffer{}, err: &bytes.Buffer{}}
	io := &streams{In: strings.NewReader("from stdin"), Out: ff.out, Err: ff.err, Getenv: func(string) string { return "" }}
	ff.f = &factory{
		IO:       io,
		Settings: func() globals { return g },
		Inventory: func(ctx context.Context) (*inventory.Inventory, error) {
			return inventory.LoadContext(ctx, g.Inventories, inventory.LoadOptions{ScriptTimeout: time.Minute})
		},
		InventoryFrom: func(ctx context.Context, paths []string, opts inventory.LoadOptions) (*inventory.Inventory, error) {
			opts.ScriptTimeout = time.Minute
			return inventory.LoadContext(ctx, paths, opts)
		},
		Dialer: func(secrets, []remote.Target) (runDialer, error) { return nopCloser{ff.fake}, nil },
		OpsRun: func(c ops.Command) (*ops.Run, error) {
			return ops.New(c, ops.Options{}, ops.Deps{Err: io.Err, Getenv: io.Getenv, Terminal: g.terminal(io), Codes: opsExitCodes(false)}), nil
		},
		Now:           time.Now,
		LoadSettings:  func(*cobra.Command) error { return nil }, // g is resolved
		OutputSetting: func() string { return g.Output },
	}
	return ff
}

// nopCloser is a dialer that holds nothing.
type nopCloser struct{ remote.Dialer }

func (nopCloser) Close() error { return nil }

// run runs cmd, made over the fleet's factory, with args; it returns the
// exit code.
func (ff *fakeFleet) run(t *testing.T, cmd *cobra.Command, args ...string) int {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetOut(ff.out)
	cmd.SetErr(ff.err)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return exitCodeOf(cmd.ExecuteContext(context.Background()))
}

func TestRunExecOutputsAndExitCodes(t *testing.T) {
	scripts := map[string]remotetest.Script{
		"web01": {Output: []remotetest.Chunk{remotetest.Stdout("hi\n")}},
		"web02": {Output: []remotetest.Chunk{remotetest.Stderr("oops\n")}, ExitCode: 3},
		"db01":  {DialErr: remote.Errorf(remote.ClassRefused, "dial", "connection refused")},
	}
	ff := newFakeFleet(t, settings.Globals{Hosts: "all", Forks: 2}, scripts, "web01", "web02", "db01")
	code := ff.run(t, newExecCmd(ff.f, nil), "echo", "hi")
	if code != report.ExitFailed|report.ExitUnreachable {
		t.Errorf("exit %d, want %d (a command failed, a host unreachable)\nstderr:\n%s", code, report.ExitFailed|report.ExitUnreachable, ff.err)
	}
	if !strings.Contains(ff.out.String(), "web01 | hi\n") {
		t.Errorf("stdout lacks web01's line:\n%s", ff.out)
	}
	if !strings.Contains(ff.err.String(), "web02 ! oops\n") {
		t.Errorf("stderr lacks web02's line:\n%s", ff.err)
	}
	if got := ff.fake.Commands("web01"); len(got) != 1 || !slices.Equal(got[0].Args, []string{"echo", "hi"}) || got[0].Shell != "" {
		t.Errorf("web01 ran %+v, want the argv echo hi", got)
	}
}

func TestRunExecShellLineAndStdin(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{Hosts: "web01"}, nil, "web01", "web02")
	o := &execOptions{runDeps: ff.f.runDeps(), OpsRun: ff.f.OpsRun, Args: []string{"uptime | cut -d, -f1"}, Stdin: true, BecomeUser: "app"}
	if err := runExec(context.Background(), o); err != nil {
		t.Fatalf("runExec: %v\nstderr:\n%s", err, ff.err)
	}
	got := ff.fake.Commands("web01")
	if len(got) != 1 || got[0].Shell != "uptime | cut -d, -f1" || !got[0].Become || got[0].BecomeUser != "app" {
		t.Errorf("web01 ran %+v, want the shell line, through sudo as app", got)
	}
	if ff.fake.Dials("web02") != 0 {
		t.Error("web02 was not selected but was dialled")
	}
}

func TestRunExecJSONAndOutDir(t *testing.T) {
	scripts := map[string]remotetest.Script{
		"web01": {Output: []remotetest.Chunk{remotetest.Stdout("one\n")}},
		"web02": {Output: []remotetest.Chunk{remotetest.Stdout("two\n")}, ExitCode: 1},
	}
	ff := newFakeFleet(t, settings.Globals{Hosts: "all", Output: "json"}, scripts, "web01", "web02")
	dir := t.TempDir()
	if code := ff.run(t, newExecCmd(ff.f, nil), "--outdir", dir, "--", "true"); code != report.ExitFailed {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, report.ExitFailed, ff.err)
	}
	var doc struct {
		Hosts []struct {
			Host     string `json:"host"`
			ExitCode *int   `json:"exit_code"`
			Stdout   string `json:"stdout"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal(ff.out.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, ff.out)
	}
	if len(doc.Hosts) != 2 {
		t.Fatalf("hosts %+v, want web01 and web02", doc.Hosts)
	}
	for _, h := range doc.Hosts {
		want := map[string]int{"web01": 0, "web02": 1}[h.Host]
		if h.ExitCode == nil || *h.ExitCode != want {
			t.Errorf("%s: exit_code %v, want %d", h.Host, h.ExitCode, want)
		}
		stdout, err := os.ReadFile(filepath.Join(dir, h.Host, "stdout"))
		if err != nil || string(stdout) != h.Stdout {
			t.Errorf("%s: --outdir stdout %q (%v), want %q as in the JSON", h.Host, stdout, err, h.Stdout)
		}
	}
}

func TestRunExecRejectsABadOutput(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{Hosts: "all", Output: "yaml"}, nil, "web01")
	if code := ff.run(t, newExecCmd(ff.f, nil), "true"); code != report.ExitUsage {
		t.Errorf("exit %d, want %d", code, report.ExitUsage)
	}
	if ff.fake.Dials("web01") != 0 {
		t.Error("a host was dialled despite the usage error")
	}
}

func TestRunTransferCopyAndFetch(t *testing.T) {
	src := filepath.Join(t.TempDir(), "app.conf")
	if err := os.WriteFile(src, []byte("port: 80\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scripts := map[string]remotetest.Script{
		"web01": {Files: map[string]string{"/etc/motd": "hello 1\n"}},
		"web02": {Files: map[string]string{"/etc/motd": "hello 2\n"}},
	}
	ff := newFakeFleet(t, settings.Globals{Hosts: "all"}, scripts, "web01", "web02")
	if code := ff.run(t, newCopyCmd(ff.f, nil), src, "/srv"); code != report.ExitOK {
		t.Fatalf("copy: exit %d\nstderr:\n%s", code, ff.err)
	}
	for _, h := range []string{"web01", "web02"} {
		if got, _ := ff.fake.File(h, "/srv/app.conf"); string(got) != "port: 80\n" {
			t.Errorf("%s: /srv/app.conf is %q", h, got)
		}
	}
	if want := "copied " + src + " to /srv/app.conf: web[01-02]\n"; !strings.Contains(ff.out.String(), want) {
		t.Errorf("stdout:\n%s\nwant the folded line %q", ff.out, want)
	}

	dir := t.TempDir()
	if code := ff.run(t, newFetchCmd(ff.f, nil), "/etc/motd", dir); code != report.ExitOK {
		t.Fatalf("fetch: exit %d\nstderr:\n%s", code, ff.err)
	}
	for h, want := range map[string]string{"web01": "hello 1\n", "web02": "hello 2\n"} {
		if got, err := os.ReadFile(filepath.Join(dir, h, "motd")); string(got) != want {
			t.Errorf("%s: fetched %q (%v), want %q", h, got, err, want)
		}
	}
}

func TestRunTransferMissingFileFails(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{Hosts: "all", Output: "json"}, nil, "web01")
	if code := ff.run(t, newFetchCmd(ff.f, nil), "/nope", t.TempDir()); code != report.ExitFailed {
		t.Errorf("exit %d, want %d\nstderr:\n%s", code, report.ExitFailed, ff.err)
	}
	if !strings.Contains(ff.out.String(), `"host": "web01"`) {
		t.Errorf("-o json: no document for web01:\n%s", ff.out)
	}
}

// parse runs args through the real command tree with cmd in place of the
// command of the same name; it returns the exit code and standard error.
func parse(t *testing.T, cmd func(*factory) *cobra.Command, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	io := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
	a := &app{io: io, v: viper.New(), transports: builtinTransports(), cwd: t.TempDir()}
	deps := a.factory()
	root := newRootCmd(deps)
	mine := cmd(deps)
	for _, c := range root.Commands() {
		if c.Name() == mine.Name() {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(mine)
	return execute(context.Background(), root, args, io), errb.String()
}

func TestNewExecCmdParses(t *testing.T) {
	var got *execOptions
	capture := func(f *factory) *cobra.Command {
		return newExecCmd(f, func(_ context.Context, o *execOptions) error { got = o; return nil })
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"exec", "ls", "-la", "/tmp"}, []string{"ls", "-la", "/tmp"}},
		{[]string{"exec", "-H", "web", "--pty", "ls", "-la"}, []string{"ls", "-la"}},
		{[]string{"exec", "--", "-x", "y"}, []string{"-x", "y"}},
		{[]string{"exec", "uptime | cut -d, -f1"}, []string{"uptime | cut -d, -f1"}},
	} {
		got = nil
		if code, stderr := parse(t, capture, tt.args...); code != report.ExitOK || got == nil {
			t.Errorf("%q: exit %d, ran %v: %s", tt.args, code, got != nil, stderr)
			continue
		}
		if !slices.Equal(got.Args, tt.want) {
			t.Errorf("%q: args %q, want %q", tt.args, got.Args, tt.want)
		}
	}
	got = nil
	if code, _ := parse(t, capture, "exec", "--env", "A=1", "--become-user", "app", "--outdir", "out", "id"); code != report.ExitOK ||
		!slices.Equal(got.Env, []string{"A=1"}) || got.BecomeUser != "app" || got.OutDir != "out" {
		t.Errorf("flags parsed as %+v", got)
	}
}

func TestNewCmdUsageErrors(t *testing.T) {
	never := func(f *factory) *cobra.Command {
		return newExecCmd(f, func(context.Context, *execOptions) error { t.Error("exec ran"); return nil })
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"exec"}, "exec needs a command"},
		{[]string{"exec", "-H", "web", "-H", "db", "true"}, "join them: -H 'web,db'"},
		{[]string{"exec", "--stdn", "true"}, "did you mean --stdin?"},
		{[]string{"exec", "--forks", "0", "true"}, "--forks must be at least 1"},
	} {
		code, stderr := parse(t, never, tt.args...)
		if code != report.ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, report.ExitUsage, tt.want)
		}
	}
}

func TestNewTransferCmdsParse(t *testing.T) {
	var got *transferOptions
	capture := func(newCmd func(*factory, func(context.Context, *transferOptions) error) *cobra.Command) func(*factory) *cobra.Command {
		return func(f *factory) *cobra.Command {
			return newCmd(f, func(_ context.Context, o *transferOptions) error { got = o; return nil })
		}
	}
	src := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(src, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stderr := parse(t, capture(newCopyCmd), "copy", "--become-user", "app", src, src, "/srv"); code != report.ExitOK {
		t.Fatalf("copy: exit %d: %s", code, stderr)
	}
	if got.Command != "copy" || got.Size != 10 || got.BecomeUser != "app" || got.Job == nil {
		t.Errorf("copy parsed as %+v, want 10 bytes to send as app", got)
	}
	if code, stderr := parse(t, capture(newFetchCmd), "fetch", "--ask-become-pass", "/etc/motd", "got"); code != report.ExitOK {
		t.Fatalf("fetch: exit %d: %s", code, stderr)
	}
	if got.Command != "fetch" || got.Size != -1 || !got.AskBecomePass {
		t.Errorf("fetch parsed as %+v", got)
	}
	if code, _ := parse(t, capture(newCopyCmd), "copy", "/srv"); code != report.ExitUsage {
		t.Errorf("copy with one argument: exit %d, want %d", code, report.ExitUsage)
	}
}
