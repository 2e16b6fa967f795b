package main

import (
	"github.com/remotectl/remotectl/report"
	"strings"
	"testing"
)

func TestDoctorExitCode(t *testing.T) {
	for _, c := range []struct {
		healthy, interrupted bool
		want                 int
	}{{true, false, 0}, {false, false, 2}, {false, true, 130}} {
		if got := report.DoctorExitCode(c.healthy, c.interrupted); got != c.want {
			t.Errorf("report.DoctorExitCode(%v, %v) = %d, want %d", c.healthy, c.interrupted, got, c.want)
		}
	}
}

func TestDoctorRejectsOtherOutputs(t *testing.T) {
	_, stderr, code := runForTest(t, "doctor", "-o", "jsonl")
	if code != report.ExitUsage || !strings.Contains(stderr, "text or json") {
		t.Errorf("doctor -o jsonl: code %d, stderr %q", code, stderr)
	}
}

func TestDoctorLocalhost(t *testing.T) {
	stdout, _, code := runForTest(t, "doctor", "-o", "json")
	if code != 0 || !strings.Contains(stdout, `"host": "localhost"`) || !strings.Contains(stdout, `"healthy": true`) {
		t.Errorf("doctor on the implicit localhost: code %d\n%s", code, stdout)
	}
}
