package main

import (
	"strings"
	"testing"
)

// everythingOn is the machine.tsv of a run with full-size client files,
// remotectl reading the ssh_config and writing run records.
var everythingOn = map[string]string{
	"cores": "2", "known_hosts_lines": "10000", "ssh_config_blocks": "1000",
	"remotectl_ssh_config": "fleet", "remotectl_run_records": "12", "throughput_bytes": "1000000",
}

// with returns a copy of everythingOn with the given key/value pairs changed.
func with(kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range everythingOn {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// rr is a run with the fields the targets read; the tool is the variant's
// first word (remotectl-f32 → remotectl).
func rr(scenario string, n int, cmd, variant string, forks int, wall, cpu, rssMB, sshd float64, failed, exit int) Run {
	tool, _, _ := strings.Cut(variant, "-")
	return Run{Scenario: scenario, N: n, Cmd: cmd, Variant: variant, Tool: tool, Forks: forks, Rep: 1,
		Wall: wall, User: cpu, MaxRSSKB: rssMB * 1024, SSHDCPU: sshd, Failed: failed, Exit: exit}
}

func reportOf(machine map[string]string, runs ...Run) *Report {
	return &Report{Machine: Machine{Values: machine}, Groups: Summarize(runs)}
}

func TestTargets(t *testing.T) {
	main1000 := func(cpu float64) Run { return rr("main", 1000, "true", "remotectl", 64, 10, cpu, 30, 20, 0, 0) }
	coalesce := func(ns string) *GoBenchOutput {
		out, err := ReadGoBench(strings.NewReader("pkg: p\nBenchmarkCoalesce10k-2 3 "+ns+" ns/op\n"), 2)
		if err != nil {
			t.Fatal(err)
		}
		return &out
	}
	checks := func(rc, ti float64, failed int) *ChecksRun {
		return &ChecksRun{Dir: "bench/results/checks-1", Variants: map[string]ChecksStats{
			checksRemotectl: {Hosts: 200, Runs: 3, Wall: rc}, checksTestinfra: {Hosts: 200, Runs: 1, Wall: ti, Failed: failed},
		}}
	}
	for _, tc := range []struct {
		name    string
		target  func(*Report) TargetResult
		report  *Report
		want    Verdict
		measure string // a part of the Measured text
	}{
		{"cpu met", (*Report).cpuPerHostTarget, reportOf(everythingOn, main1000(0.4)), Met, "0.40 ms per host (0.40 s at N=1000; known_hosts 10,000 lines, ssh_config 1,000 blocks)"},
		{"cpu not met", (*Report).cpuPerHostTarget, reportOf(everythingOn, main1000(0.6)), NotMet, "0.60 ms per host"},
		{"cpu small ssh_config", (*Report).cpuPerHostTarget, reportOf(with("ssh_config_blocks", "999"), main1000(0.4)), NotMeasured, "smaller client files"},
		{"cpu sizes unknown", (*Report).cpuPerHostTarget, reportOf(map[string]string{}, main1000(0.4)), NotMeasured, "not recorded"},
		{"cpu ssh_config none", (*Report).cpuPerHostTarget, reportOf(with("remotectl_ssh_config", ""), main1000(0.4)), NotMeasured, "without the ssh_config"},
		{"cpu no run record", (*Report).cpuPerHostTarget, reportOf(with("remotectl_run_records", "0"), main1000(0.4)), NotMeasured, "no run record"},
		{"cpu no run", (*Report).cpuPerHostTarget, reportOf(everythingOn, rr("main", 50, "true", "pdsh", 32, 1, 1, 8, 1, 0, 0)), NotMeasured, "no `true` run"},

		{"throughput met", (*Report).throughputTarget, reportOf(everythingOn,
			rr("throughput", 1000, "1MB", "remotectl", 64, 4, 2, 100, 30, 0, 0),
			rr("throughput", 1000, "1MB", "pdsh", 32, 20, 50, 10, 30, 0, 0)), Met,
			"250.0 MB/s at N=1000, 2.00 ms of client CPU per MB; pdsh 50.0 MB/s, 50.0 ms per MB"},
		{"throughput slow", (*Report).throughputTarget, reportOf(everythingOn, rr("throughput", 1000, "1MB", "remotectl", 64, 6, 2, 100, 30, 0, 0)), NotMet, "166.7 MB/s"},
		{"throughput bounded by connecting", (*Report).throughputTarget, reportOf(everythingOn,
			rr("throughput", 1000, "1MB", "remotectl", 64, 14, 8, 100, 30, 0, 0), main1000(1)), NotMet,
			"`true` on the same 1000 hosts takes 10.0 s (connections alone, bounded by sshd's CPU), so 1000 MB cannot go faster than 100.0 MB/s here; beyond it, the output itself flowed at 250.0 MB/s"},
		{"throughput failed hosts", (*Report).throughputTarget, reportOf(everythingOn, rr("throughput", 1000, "1MB", "remotectl", 64, 4, 2, 100, 30, 3, 2)), NotMet, "3 hosts failed"},
		{"throughput small", (*Report).throughputTarget, reportOf(everythingOn, rr("throughput", 200, "1MB", "remotectl", 64, 0.5, 2, 100, 30, 0, 0)), NotMeasured, "400.0 MB/s at N=200"},
		{"throughput legacy bytes", (*Report).throughputTarget, reportOf(map[string]string{}, rr("throughput", 1000, "1MB", "remotectl", 64, 4, 2, 100, 30, 0, 0)), Met, "252.5 MB/s"},

		{"inventory met", (*Report).inventoryTarget, reportOf(with("micro_inventory_selected", "24990", "micro_inventory_pattern", "web*"),
			rr("micro", 100000, "inventory", "remotectl", 0, 0.9, 1, 250, 0, 0, 0)), Met, "0.90 s, 250.0 MB peak RSS (median of 1 run; 24,990 of 100,000 hosts selected by `web*`)"},
		{"inventory big", (*Report).inventoryTarget, reportOf(everythingOn, rr("micro", 100000, "inventory", "remotectl", 0, 0.9, 1, 400, 0, 0, 0)), NotMet, "400.0 MB"},
		{"inventory slow", (*Report).inventoryTarget, reportOf(everythingOn, rr("micro", 100000, "inventory", "remotectl", 0, 1.0, 1, 250, 0, 0, 0)), NotMet, "1.00 s"},
		{"inventory failed", (*Report).inventoryTarget, reportOf(everythingOn, rr("micro", 100000, "inventory", "remotectl", 0, 0.5, 1, 250, 0, 0, 65)), NotMet, "exit 65"},
		{"inventory small", (*Report).inventoryTarget, reportOf(everythingOn, rr("micro", 1000, "inventory", "remotectl", 0, 0.1, 1, 25, 0, 0, 0)), NotMeasured, "the target is 100,000 hosts"},
		{"inventory not run", (*Report).inventoryTarget, reportOf(everythingOn, main1000(0.4)), NotMeasured, "micro scenario not run"},

		{"coalesce met", (*Report).coalesceTarget, &Report{Micro: coalesce("38234567")}, Met, "38.2 ms per rendering"},
		{"coalesce slow", (*Report).coalesceTarget, &Report{Micro: coalesce("1500000000")}, NotMet, "1.50 s"},
		{"coalesce missing", (*Report).coalesceTarget, &Report{Micro: &GoBenchOutput{Failed: []string{"report"}}}, NotMeasured, "(failed: report)"},
		{"coalesce not run", (*Report).coalesceTarget, &Report{}, NotMeasured, "micro scenario not run"},

		{"pdsh met", (*Report).pdshRatioTarget, reportOf(everythingOn, main1000(1), rr("main", 1000, "true", "pdsh", 32, 60, 80, 8, 25, 0, 0)), Met, "0.17 at N=1000 (remotectl 10.0 s, pdsh 60.0 s)"},
		{"pdsh not met", (*Report).pdshRatioTarget, reportOf(everythingOn, main1000(1), rr("main", 1000, "true", "pdsh", 32, 40, 80, 8, 25, 0, 0)), NotMet, "0.25"},
		{"pdsh small", (*Report).pdshRatioTarget, reportOf(everythingOn, rr("main", 200, "true", "remotectl", 64, 2, 1, 8, 4, 0, 0),
			rr("main", 200, "true", "pdsh", 32, 20, 1, 8, 4, 0, 0)), NotMeasured, "0.10 at N=200"},

		{"floor met", (*Report).floorTarget, reportOf(everythingOn, rr("main", 200, "true", "remotectl", 64, 2.1, 1, 8, 4, 0, 0), main1000(1)),
			Met, "N=200: 1.05, N=1000: 1.00"},
		{"floor judged at 1000 hosts", (*Report).floorTarget, reportOf(everythingOn, rr("main", 200, "true", "remotectl", 64, 2.4, 1, 8, 4, 0, 0), main1000(1)),
			Met, "N=200: 1.20, N=1000: 1.00"},
		{"floor not met at 1000 hosts", (*Report).floorTarget, reportOf(everythingOn, rr("main", 1000, "true", "remotectl", 64, 12, 1, 30, 20, 0, 0)),
			NotMet, "N=1000: 1.20"},
		{"floor below 1000 hosts", (*Report).floorTarget, reportOf(everythingOn, rr("main", 200, "true", "remotectl", 64, 2.1, 1, 8, 4, 0, 0)),
			NotMeasured, "the target is at 1,000 hosts"},
		{"floor without sshd CPU", (*Report).floorTarget, reportOf(everythingOn, rr("main", 200, "true", "remotectl", 64, 2.4, 1, 8, 0, 0, 0)),
			NotMeasured, "no `true` run"},

		{"sessions met", (*Report).sessionsTarget, reportOf(everythingOn, rr("sleep", 1000, "sleep5", "remotectl-f1000", 1000, 19, 1, 90, 25, 0, 0)), Met, "90.0 MB at N=1000 with -f 1000"},
		{"sessions big", (*Report).sessionsTarget, reportOf(everythingOn, rr("sleep", 1000, "sleep5", "remotectl-f1000", 1000, 19, 1, 116, 25, 0, 0)), NotMet, "116.0 MB"},
		{"sessions failed", (*Report).sessionsTarget, reportOf(everythingOn, rr("sleep", 1000, "sleep5", "remotectl-f1000", 1000, 19, 1, 90, 25, 4, 2)), NotMet, "4 hosts failed"},
		{"sessions small", (*Report).sessionsTarget, reportOf(everythingOn, rr("sleep", 200, "sleep5", "remotectl-f200", 200, 6, 1, 40, 6, 0, 0)), NotMeasured, "the target is 1,000 sessions"},

		{"maxstartups met", (*Report).maxStartupsTarget, reportOf(everythingOn, rr("maxstartups", 200, "true", "remotectl", 64, 2, 1, 8, 4, 0, 0),
			rr("maxstartups", 1000, "true", "remotectl", 64, 11, 1, 8, 20, 0, 0)), Met, "N=200: 0 failed, N=1000: 0 failed"},
		{"maxstartups failed", (*Report).maxStartupsTarget, reportOf(everythingOn, rr("maxstartups", 200, "true", "remotectl", 64, 2, 1, 8, 4, 0, 0),
			rr("maxstartups", 1000, "true", "remotectl", 64, 11, 1, 8, 20, 1, 2)), NotMet, "N=1000: 1 failed"},
		{"maxstartups half run", (*Report).maxStartupsTarget, reportOf(everythingOn, rr("maxstartups", 200, "true", "remotectl", 64, 2, 1, 8, 4, 0, 0)),
			NotMeasured, "N=1000: not run"},

		{"latency met", (*Report).latencyTarget, reportOf(with("latency_ms", "10"), rr("latency", 200, "true", "remotectl", 64, 3, 1, 8, 4, 0, 0),
			rr("latency", 200, "true", "pdsh", 32, 11.5, 1, 8, 4, 0, 0), rr("latency", 200, "true", "clush", 64, 20.7, 1, 8, 4, 0, 0)),
			Met, "N=200: 3.00 s vs 11.5 s (pdsh)"},
		{"latency slower", (*Report).latencyTarget, reportOf(everythingOn, rr("latency", 200, "true", "remotectl", 64, 12, 1, 8, 4, 0, 0),
			rr("latency", 200, "true", "pdsh", 32, 11.5, 1, 8, 4, 0, 0)), NotMet, "12.0 s vs 11.5 s"},
		{"latency alone", (*Report).latencyTarget, reportOf(everythingOn, rr("latency", 200, "true", "remotectl", 64, 3, 1, 8, 4, 0, 0)), NotMeasured, "no latency run"},

		{"checks met", (*Report).checksTarget, &Report{Checks: checks(8, 520, 0)}, Met, "×65 faster: 8.00 s vs 520 s on 200 hosts (from `bench/results/checks-1`)"},
		{"checks slow", (*Report).checksTarget, &Report{Checks: checks(8, 40, 0)}, NotMet, "×5.0 faster"},
		{"checks failed hosts", (*Report).checksTarget, &Report{Checks: checks(8, 520, 2)}, NotMeasured, "hosts failed"},
		{"checks none", (*Report).checksTarget, &Report{}, NotMeasured, "no bench/checks.sh results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.target(tc.report)
			if got.Verdict != tc.want || !strings.Contains(got.Measured, tc.measure) {
				t.Errorf("got %v, %q; want %v, containing %q", got.Verdict, got.Measured, tc.want, tc.measure)
			}
			if got.Target == "" {
				t.Error("the target is not named")
			}
		})
	}
}

// TestTargetsCoverEveryTarget keeps the Targets table in step with the list
// of targets: one row each, in order, from a report with no data at all.
func TestTargetsCoverEveryTarget(t *testing.T) {
	rows := (&Report{}).Targets()
	if len(rows) != 10 {
		t.Fatalf("%d targets, want 10", len(rows))
	}
	for _, row := range rows {
		if row.Verdict != NotMeasured {
			t.Errorf("%s: %v on a report with no data, want not measured", row.Target, row.Verdict)
		}
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{thousands(0), "0"},
		{thousands(999), "999"},
		{thousands(1000), "1,000"},
		{thousands(100000), "100,000"},
		{thousands(-1234567), "-1,234,567"},
		{duration(412), "412 ns"},
		{duration(38234.5), "38.2 µs"},
		{duration(1.05e9), "1.05 s"},
		{byteSize(512), "512 B"},
		{byteSize(12345678), "12.3 MB"},
		{trimFloat(0.5), "0.5"},
		{trimFloat(200), "200"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
