package main

import (
	"bytes"
	"context"
	"github.com/remotectl/remotectl/report"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/viper"

	"github.com/remotectl/remotectl/ops"
)

// settingsFor parses args like a run would and returns the resolved globals.
func settingsFor(t *testing.T, dir string, args ...string) (globals, error) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{
		io:  &streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: os.Getenv},
		v:   viper.New(),
		cwd: dir,
	}
	root := newRootCmd(a.factory())
	root.SetArgs(append(args, "version"))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return a.g, err
}

func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("REMOTECTL_FORKS", "")
	t.Setenv("REMOTECTL_TIMEOUT", "")
	conf := filepath.Join(dir, "remotectl.yaml")
	if err := os.WriteFile(conf, []byte("forks: 7\ntimeout: 3s\nhosts: web\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	g, err := settingsFor(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if g.Forks != 7 || g.Timeout.String() != "3s" || g.Hosts != "web" || g.ConfigFile != conf {
		t.Errorf("config file: got forks=%d timeout=%s hosts=%q file=%q", g.Forks, g.Timeout, g.Hosts, g.ConfigFile)
	}

	t.Setenv("REMOTECTL_FORKS", "9")
	if g, _ = settingsFor(t, dir); g.Forks != 9 || g.Timeout.String() != "3s" {
		t.Errorf("env over config: got forks=%d timeout=%s, want 9 and 3s", g.Forks, g.Timeout)
	}
	if g, _ = settingsFor(t, dir, "-f", "11"); g.Forks != 11 {
		t.Errorf("flag over env: got forks=%d, want 11", g.Forks)
	}
}

func TestSettingsDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	g, err := settingsFor(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if g.Forks < 64 || g.Output != "text" || g.Color != "auto" || g.Inventories != nil {
		t.Errorf("defaults: %+v", g)
	}
	// ./inventory.yaml is the default inventory when present.
	if err := os.WriteFile(filepath.Join(dir, "inventory.yaml"), []byte("hosts:\n  a:\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if g, _ = settingsFor(t, dir); len(g.Inventories) != 1 || g.Inventories[0] != "inventory.yaml" {
		t.Errorf("default inventory: got %v", g.Inventories)
	}
}

func TestSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--color", "sometimes"}, report.ExitUsage, "--color"},
		{[]string{"-f", "0"}, report.ExitUsage, "--forks"},
		{[]string{"--host-key-policy", "yolo"}, report.ExitUsage, "host-key-policy"},
		{[]string{"--config", filepath.Join(dir, "missing.yaml")}, report.ExitUsage, "missing.yaml"},
		{[]string{"--no-such-flag"}, report.ExitUsage, "no-such-flag"},
	} {
		_, err := settingsFor(t, dir, tc.args...)
		if got := exitCodeOf(err); got != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got code %d, err %v; want %d mentioning %q", tc.args, got, err, tc.code, tc.want)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("forsk: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := settingsFor(t, dir, "--config", bad); exitCodeOf(err) != report.ExitInput || !strings.Contains(err.Error(), "forsk") {
		t.Errorf("unknown config key: got %v (code %d)", err, exitCodeOf(err))
	}
}

func TestSeveralInventories(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b,with-comma.ini")
	if err := os.WriteFile(a, []byte("hosts:\n  alpha:\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("[g]\nbravo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runForTest(t, "-i", a, "-i", b, "inventory", "list")
	if code != 0 || !strings.Contains(out, "alpha") || !strings.Contains(out, "bravo") {
		t.Fatalf("code %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestCronResolvedWhenSettingsLoad: --cron makes the effective settings
// once, when they load: quiet, no colour, no prompts, and the bundle of
// ops. A command without --cron ignores REMOTECTL_CRON.
func TestCronResolvedWhenSettingsLoad(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	load := func(args ...string) *app {
		t.Helper()
		a := &app{
			io: &streams{Getenv: os.Getenv, ReadSecret: func(string) (string, error) { return "", nil }},
			v:  viper.New(), cwd: dir,
		}
		cmd, rest, err := newRootCmd(a.factory()).Find(args)
		if err == nil {
			err = cmd.ParseFlags(rest)
		}
		if err == nil {
			err = a.loadSettings(cmd)
		}
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := load("exec", "--cron", "--color", "always", "true")
	if !a.g.Quiet || a.g.Color != "never" || !a.g.NoPrompt || a.io.ReadSecret != nil {
		t.Errorf("exec --cron: globals %+v, prompts %v", a.g, a.io.ReadSecret != nil)
	}
	if a.ops.Lock != ops.LockAuto || a.ops.Jitter != ops.CronJitter || !a.ops.SyslogBestEffort {
		t.Errorf("exec --cron: ops settings %+v", a.ops)
	}
	t.Setenv("REMOTECTL_CRON", "1")
	if a := load("copy", "a", "/tmp"); a.g.Quiet || a.io.ReadSecret == nil || a.ops.Cron {
		t.Errorf("copy with REMOTECTL_CRON: globals %+v, ops %+v", a.g, a.ops)
	}
}
