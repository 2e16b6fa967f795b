package main

import (
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

	"github.com/remotectl/remotectl/internal/settings"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// versionCheck is a check file with one command check.
const versionCheck = `command:
  "cat /srv/version":
    exit-status: 0
    stdout: ["1.4.2"]
`

// writeCheckFile writes data as a check file in a temporary directory and
// returns its path.
func writeCheckFile(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "version.yaml")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// versionFleet is web01 at the wanted version, web02 at another whose
// command fails too, and db01 unreachable.
var versionFleet = map[string]remotetest.Script{
	"web01": {Output: []remotetest.Chunk{remotetest.Stdout("1.4.2\n")}},
	"web02": {Output: []remotetest.Chunk{remotetest.Stdout("1.4.1\n")}, ExitCode: 1},
	"db01":  {DialErr: remote.Errorf(remote.ClassRefused, "dial", "connection refused")},
}

func TestRunCheckCommandCheck(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{Hosts: "web01"}, versionFleet, "web01", "web02", "db01")
	if code := ff.run(t, newCheckCmd(ff.f, nil), writeCheckFile(t, versionCheck)); code != report.ExitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, ff.out, ff.err)
	}
	if want := "ok    command cat /srv/version exit-status: 0"; !strings.Contains(ff.out.String(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, ff.out)
	}
	if got := ff.fake.Commands("web01"); len(got) != 1 || got[0].Shell != "cat /srv/version" {
		t.Errorf("web01 ran %+v, want the check's command line once", got)
	}
	if ff.fake.Dials("web02")+ff.fake.Dials("db01") != 0 {
		t.Error("a host -H did not select was dialled")
	}
}

func TestRunCheckExitCodesAndJSON(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{Hosts: "all", Output: "json"}, versionFleet, "web01", "web02", "db01")
	code := ff.run(t, newCheckCmd(ff.f, nil), "-F", writeCheckFile(t, versionCheck))
	if code != report.ExitFailed|report.ExitUnreachable {
		t.Fatalf("exit %d, want %d (a property failed, a host unreachable)\nstderr:\n%s", code, report.ExitFailed|report.ExitUnreachable, ff.err)
	}
	var doc struct {
		Hosts []struct {
			Host       string `json:"host"`
			Status     string `json:"status"`
			ErrorClass string `json:"error_class"`
			Counts     struct {
				Pass int `json:"pass"`
				Fail int `json:"fail"`
			} `json:"counts"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal(ff.out.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, ff.out)
	}
	var got []string
	for _, h := range doc.Hosts {
		got = append(got, h.Host+" "+h.Status+" "+h.ErrorClass)
		if h.Host == "web02" && h.Counts.Fail != 2 {
			t.Errorf("web02 failed %d properties, want 2 (exit status and stdout)", h.Counts.Fail)
		}
	}
	if want := []string{"web01 ok ", "web02 failed ", "db01 unreachable refused"}; !slices.Equal(got, want) {
		t.Errorf("hosts %q, want %q\n%s", got, want, ff.out)
	}
}

func TestRunCheckNagios(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{Hosts: "web02", Output: "nagios"}, versionFleet, "web01", "web02")
	if code := ff.run(t, newCheckCmd(ff.f, nil), writeCheckFile(t, versionCheck)); code != 2 {
		t.Errorf("exit %d, want 2 (CRITICAL)\n%s", code, ff.out)
	}
	if !strings.HasPrefix(ff.out.String(), "CHECKS CRITICAL - ") {
		t.Errorf("status line %q, want CHECKS CRITICAL first", ff.out)
	}

	// A failure to run is a status line too: UNKNOWN, exit 3.
	ff = newFakeFleet(t, settings.Globals{Hosts: "web02", Output: "nagios"}, versionFleet, "web01", "web02")
	o := &checkOptions{runDeps: ff.f.runDeps(), OpsRun: ff.f.OpsRun}
	if code := exitCodeOf(runCheck(context.Background(), o)); code != 3 {
		t.Errorf("no check file: exit %d, want 3 (UNKNOWN)", code)
	}
	if !strings.HasPrefix(ff.out.String(), "CHECKS UNKNOWN - ") || !strings.Contains(ff.out.String(), "no check files") {
		t.Errorf("status line %q, want UNKNOWN saying there is no check file", ff.out)
	}
}

func TestNewCheckCmdParses(t *testing.T) {
	var got *checkOptions
	capture := func(f *factory) *cobra.Command {
		return newCheckCmd(f, func(_ context.Context, o *checkOptions) error { got = o; return nil })
	}
	code, stderr := parse(t, capture, "check", "-F", "base.yaml", "--retry-timeout", "2m", "--sleep", "5s", "web.yaml", "db.yaml")
	if code != report.ExitOK || got == nil {
		t.Fatalf("exit %d, ran %v: %s", code, got != nil, stderr)
	}
	if !slices.Equal(got.Files, []string{"base.yaml", "web.yaml", "db.yaml"}) || got.RetryTimeout != 2*time.Minute || got.Sleep != 5*time.Second {
		t.Errorf("parsed as %+v", got)
	}
	got = nil
	code, stderr = parse(t, capture, "check", "--vars", "a.yaml", "--vars", "b.json", "--vars-inline", "{port: 80}", "--render", "web.yaml", "--validate-only")
	if code != report.ExitOK || got == nil {
		t.Fatalf("exit %d, ran %v: %s", code, got != nil, stderr)
	}
	if !slices.Equal(got.VarsFiles, []string{"a.yaml", "b.json"}) || got.VarsInline != "{port: 80}" || got.Render != "web.yaml" || !got.ValidateOnly {
		t.Errorf("template flags parsed as %+v", got)
	}
	got = nil
	if code, _ := parse(t, capture, "check", "--sleep", "soon"); code != report.ExitUsage || got != nil {
		t.Errorf("--sleep soon: exit %d, ran %v; want %d", code, got != nil, report.ExitUsage)
	}
}

func TestRunCheckRejectsNegativeDurations(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{Hosts: "all"}, nil, "web01")
	o := &checkOptions{runDeps: ff.f.runDeps(), OpsRun: ff.f.OpsRun, Files: []string{"x.yaml"}, Sleep: -time.Second}
	if code := exitCodeOf(runCheck(context.Background(), o)); code != report.ExitUsage {
		t.Errorf("exit %d, want %d", code, report.ExitUsage)
	}
}
