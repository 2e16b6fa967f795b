package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/winrm"
)

func TestRunStepsSkipsDependents(t *testing.T) {
	ran := map[string]bool{}
	mk := func(name string, st stepStatus, needs ...string) step {
		return step{name: name, needs: needs, run: func(context.Context) finding {
			ran[name] = true
			return finding{Status: st, Summary: name}
		}}
	}
	got := runSteps(context.Background(), []step{
		mk("a", statusOK),
		mk("b", statusWarn, "a"),
		mk("c", statusFail, "b"),
		mk("d", statusOK, "c"),
		mk("e", statusOK, "d"),
		mk("f", statusInfo, "a", "b"),
	})
	want := []stepStatus{statusOK, statusWarn, statusFail, statusSkip, statusSkip, statusInfo}
	for i, f := range got {
		if f.Status != want[i] {
			t.Errorf("step %s: %s, want %s", f.Step, f.Status, want[i])
		}
	}
	if ran["d"] || ran["e"] || !ran["f"] {
		t.Errorf("ran = %v: d and e must be skipped, f must run", ran)
	}
	if got[3].Summary != "skipped: c did not pass" || got[4].Summary != "skipped: d did not pass" {
		t.Errorf("skip reasons: %q, %q", got[3].Summary, got[4].Summary)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := runSteps(ctx, []step{mk("x", statusOK)}); got[0].Status != statusSkip {
		t.Errorf("after cancel: %+v", got[0])
	}
}

func TestFailedFinding(t *testing.T) {
	err := &remote.Error{Class: remote.ClassRefused, Op: "dial", Err: errors.New("connection refused"), Hint: "start sshd"}
	f := failed(err)
	if f.Status != statusFail || f.Class != "refused" || f.Fix != "start sshd" || !strings.Contains(f.Summary, "connection refused") {
		t.Errorf("failed() = %+v", f)
	}
}

func TestCertFinding(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	good := &winrm.CertInfo{Issuer: "CN=CA", IPs: []string{"10.0.0.1"}, NotAfter: now.AddDate(1, 0, 0)}
	tests := []struct {
		name     string
		info     winrm.CertInfo
		insecure bool
		status   stepStatus
		fix      string
	}{
		{"valid", *good, false, statusOK, ""},
		{"expires soon", winrm.CertInfo{Issuer: "CN=CA", NotAfter: now.Add(5 * 24 * time.Hour)}, false, statusWarn, "renew the certificate"},
		{"untrusted", winrm.CertInfo{Issuer: "CN=self", NotAfter: good.NotAfter, TrustErr: errors.New("unknown authority")}, false, statusFail, "winrm_ca_cert"},
		{"expired", winrm.CertInfo{NotAfter: now.Add(-time.Hour), TrustErr: errors.New("expired")}, false, statusFail, "it expired"},
		{"wrong name", winrm.CertInfo{NotAfter: good.NotAfter, NameErr: errors.New("mismatch")}, false, statusFail, "subject alternative names"},
		{"untrusted but insecure", winrm.CertInfo{NotAfter: good.NotAfter, TrustErr: errors.New("unknown authority")}, true, statusWarn, "drop winrm_insecure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := certFinding(&tc.info, "10.0.0.1", tc.insecure, now)
			if f.Status != tc.status || !strings.Contains(f.Fix, tc.fix) {
				t.Errorf("certFinding = %s %q (fix %q), want %s with fix %q", f.Status, f.Summary, f.Fix, tc.status, tc.fix)
			}
		})
	}
}

func TestDoctorWriter(t *testing.T) {
	d := diagnosis{Host: "web1", Transport: "ssh", Steps: []finding{
		{Step: "tcp", Status: statusFail, Summary: "refused", Fix: "start sshd", Facts: map[string][]string{"b": {"2"}, "a": {"1"}}},
		{Step: "banner", Status: statusSkip, Summary: "skipped: tcp did not pass"},
	}}
	var ascii, uni bytes.Buffer
	doctorWriter{out: &ascii, verbose: true}.host(d)
	doctorWriter{out: &uni, unicode: true}.host(d)
	wantASCII := "web1 (ssh): PROBLEM\n" +
		"  FAIL tcp     refused\n" +
		"               fix: start sshd\n" +
		"               a: 1\n" +
		"               b: 2\n" +
		"  skip banner  skipped: tcp did not pass\n"
	if ascii.String() != wantASCII {
		t.Errorf("ASCII:\n%s\nwant:\n%s", ascii.String(), wantASCII)
	}
	if !strings.Contains(uni.String(), "  ✗ tcp     refused\n            fix: start sshd\n") || !strings.Contains(uni.String(), "  - banner") {
		t.Errorf("unicode:\n%s", uni.String())
	}
	for _, c := range []struct {
		healthy, interrupted bool
		want                 int
	}{{true, false, 0}, {false, false, 2}, {false, true, 130}} {
		if got := doctorExitCode(c.healthy, c.interrupted); got != c.want {
			t.Errorf("doctorExitCode(%v, %v) = %d, want %d", c.healthy, c.interrupted, got, c.want)
		}
	}
}

func TestDoctorRejectsOtherOutputs(t *testing.T) {
	_, stderr, code := runForTest(t, "doctor", "-o", "jsonl")
	if code != exitUsage || !strings.Contains(stderr, "text or json") {
		t.Errorf("doctor -o jsonl: code %d, stderr %q", code, stderr)
	}
}

func TestDoctorLocalhost(t *testing.T) {
	stdout, _, code := runForTest(t, "doctor", "-o", "json")
	if code != 0 || !strings.Contains(stdout, `"host": "localhost"`) || !strings.Contains(stdout, `"healthy": true`) {
		t.Errorf("doctor on the implicit localhost: code %d\n%s", code, stdout)
	}
}
