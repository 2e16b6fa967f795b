package report

import (
	"testing"

	"github.com/remotectl/remotectl/remote"
)

func TestExitBits(t *testing.T) {
	for _, tt := range []struct {
		name       string
		sum        Summary
		bits       int
		configured bool
	}{
		{"all ok", Summary{OK: 3}, 0, false},
		{"failed and timed out", Summary{OK: 1, Failed: 1, TimedOut: 2}, ExitFailed | ExitTimedOut, false},
		{"unreachable", Summary{Unreachable: 1}, ExitUnreachable, false},
		{"a host's settings", Summary{Unreachable: 1, Hosts: []HostRecord{{Name: "a", Class: remote.ClassConfig}}}, ExitUnreachable, true},
	} {
		if got := tt.sum.ExitBits(); got != tt.bits {
			t.Errorf("%s: ExitBits %d, want %d", tt.name, got, tt.bits)
		}
		if got := tt.sum.ConfigError(); got != tt.configured {
			t.Errorf("%s: ConfigError %v, want %v", tt.name, got, tt.configured)
		}
	}
}

func TestPlayRunExitBits(t *testing.T) {
	run := &PlayRun{
		Recap: []*PlayHostStats{{Host: "a", OK: 2}, {Host: "b", Failed: 1}, {Host: "c", Unreachable: 1}, {Host: "d", TimedOut: true}},
		Results: []*TaskResult{
			{Host: "b", Status: TaskFailed},
			{Host: "c", Status: TaskUnreachable, ErrorClass: remote.ClassRefused.String()},
		},
	}
	if got, want := run.ExitBits(), ExitFailed|ExitUnreachable|ExitTimedOut; got != want {
		t.Errorf("ExitBits %d, want %d", got, want)
	}
	if run.ConfigError() {
		t.Error("ConfigError without a config-class result")
	}
	run.Results = append(run.Results, &TaskResult{Host: "e", Status: TaskUnreachable, ErrorClass: remote.ClassConfig.String()})
	if !run.ConfigError() {
		t.Error("no ConfigError with a config-class result")
	}
}

// ansible-playbook's codes: 4 as soon as a host is unreachable, else 2 for
// a failed or timed-out host, else 0.
func TestPlayRunPlayExitCode(t *testing.T) {
	for _, tc := range []struct {
		recap []*PlayHostStats
		want  int
	}{
		{[]*PlayHostStats{{Host: "a", OK: 2}}, 0},
		{[]*PlayHostStats{{Host: "a", OK: 2}, {Host: "b", Failed: 1}}, PlayExitFailed},
		{[]*PlayHostStats{{Host: "a", OK: 1}, {Host: "d", TimedOut: true}}, PlayExitFailed},
		{[]*PlayHostStats{{Host: "b", Failed: 1}, {Host: "c", Unreachable: 1}}, PlayExitUnreachable},
		{[]*PlayHostStats{{Host: "c", Unreachable: 1}}, PlayExitUnreachable},
	} {
		if got := (&PlayRun{Recap: tc.recap}).PlayExitCode(); got != tc.want {
			t.Errorf("%+v: PlayExitCode %d, want %d", tc.recap, got, tc.want)
		}
	}
}
