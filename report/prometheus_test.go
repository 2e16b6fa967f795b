package report

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
)

// promtoolCheck fails the test when `promtool check metrics` rejects doc.
func promtoolCheck(t *testing.T, doc string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found: install Debian's prometheus package (apt-get install -y prometheus)")
		}
		t.Skip("promtool not found (Debian package prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(doc)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n--- input:\n%s", err, msg, doc)
	}
}

// awkwardName is a host name with every character the exposition format
// escapes, and some Go's %q would escape differently.
const awkwardName = "we\"b\\01\nnext é\t☃"

func TestExecMetrics(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sum := &Summary{
		Hosts: []HostRecord{
			{Name: "web01", Start: start, End: start.Add(1500 * time.Millisecond)},
			{Name: awkwardName, Start: start, End: start.Add(time.Second), Result: remote.Result{ExitCode: 3}},
			{Name: "db1", Err: &remote.Error{Class: remote.ClassRefused, Err: errors.New("refused")}, Class: remote.ClassRefused},
		},
		OK: 1, Failed: 1, Unreachable: 1, Duration: 2 * time.Second,
	}
	out := ExecMetrics(sum, `nightly "backup"`, start.Add(2*time.Second))
	for _, want := range []string{
		`remotectl_exec_host_success{host="web01",run="nightly \"backup\""} 1` + "\n",
		`remotectl_exec_host_exit_code{host="we\"b\\01\nnext é` + "\t" + `☃",run="nightly \"backup\""} 3` + "\n",
		`remotectl_exec_failures{class="refused",run="nightly \"backup\""} 1` + "\n",
		`remotectl_exec_failures{class="exit",run="nightly \"backup\""} 1` + "\n",
		`remotectl_exec_hosts{run="nightly \"backup\"",status="ok"} 1` + "\n",
		`remotectl_exec_last_run_timestamp_seconds{run="nightly \"backup\""} 1767323047` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "remotectl_exec_host_exit_code{host=\"db1\"") {
		t.Errorf("an unreachable host has an exit code:\n%s", out)
	}
	promtoolCheck(t, out)
}

func TestPlayMetrics(t *testing.T) {
	out := PlayMetrics(&PlayRun{Recap: []*PlayHostStats{
		{Host: "web02", OK: 3, Changed: 2},
		{Host: awkwardName, Failed: 1},
	}, Duration: 1500 * time.Millisecond}, "play")
	want := `# HELP remotectl_play_duration_seconds How long the whole run took.
# TYPE remotectl_play_duration_seconds gauge
remotectl_play_duration_seconds{run="play"} 1.5
# HELP remotectl_play_host_changed_tasks Tasks that changed something on the host.
# TYPE remotectl_play_host_changed_tasks gauge
remotectl_play_host_changed_tasks{host="we\"b\\01\nnext é` + "\t" + `☃",run="play"} 0
remotectl_play_host_changed_tasks{host="web02",run="play"} 2
# HELP remotectl_play_host_success Whether the host went through the playbook without a failure (1) or not (0).
# TYPE remotectl_play_host_success gauge
remotectl_play_host_success{host="we\"b\\01\nnext é` + "\t" + `☃",run="play"} 0
remotectl_play_host_success{host="web02",run="play"} 1
`
	if out != want {
		t.Errorf("PlayMetrics:\n%s\nwant:\n%s", out, want)
	}
	promtoolCheck(t, out)
}

func TestCheckMetricsEscapeLabels(t *testing.T) {
	c := newCheckRun(awkwardName).result(0, "c.yaml:1:1", "file", "/etc/\"motd\"", "exists", checks.Fail, "true", "false", "", 1)
	c.start(0, 0).done(0, 10, remote.Result{ExitCode: 1}, nil)
	_, out := c.render(t, CheckOptions{Format: FormatPrometheus})
	if want := `remotectl_host_up{host="we\"b\\01\nnext é` + "\t" + `☃"} 1`; !strings.Contains(out, want) {
		t.Errorf("missing %q in\n%s", want, out)
	}
	promtoolCheck(t, out)
}

func TestWithLabelAddsToEverySeries(t *testing.T) {
	in := "# HELP m help {x}\n# TYPE m gauge\nm 1\nm{a=\"b c\"} 2\nn{a=\"}{ \"} 3\n"
	want := "# HELP m help {x}\n# TYPE m gauge\nm{run=\"r\\\"1\"} 1\nm{run=\"r\\\"1\",a=\"b c\"} 2\nn{run=\"r\\\"1\",a=\"}{ \"} 3\n"
	if got := WithLabel(in, "run", `r"1`); got != want {
		t.Errorf("WithLabel:\n%s\nwant:\n%s", got, want)
	}
	if got := TextfileRun("/var/lib/node_exporter/backup-check.prom"); got != "backup-check" {
		t.Errorf("TextfileRun = %q", got)
	}
}
