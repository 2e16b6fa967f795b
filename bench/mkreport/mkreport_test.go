package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/report.golden.md")

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), tc.in...)
		if got := Median(in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("Median reordered its input: %v", in)
			}
		}
	}
}

func TestReadResultsRejectsBadInput(t *testing.T) {
	header := strings.Join(resultColumns, "\t") + "\n"
	for name, text := range map[string]string{
		"empty":       "",
		"old header":  "scenario\tn\twall\n",
		"few fields":  header + "main\t50\ttrue\n",
		"bad number":  header + "main\tfifty\ttrue\tremotectl\tremotectl\t64\t1\t1\t0\t0\t1\t1\t0\t0\t0\n",
		"bad seconds": header + "main\t50\ttrue\tremotectl\tremotectl\t64\t1\tslow\t0\t0\t1\t1\t0\t0\t0\n",
	} {
		if _, err := ReadResults(strings.NewReader(text)); err == nil {
			t.Errorf("%s: ReadResults succeeded, want an error", name)
		}
	}
}

func TestReadMachineRejectsLinesWithoutTab(t *testing.T) {
	if _, err := ReadMachine(strings.NewReader("cores 2\n")); err == nil {
		t.Error("ReadMachine succeeded on a line without a tab")
	}
}

func loadFixture(t *testing.T) *Report {
	t.Helper()
	r, err := load(filepath.Join("testdata", "run"), "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSummarize(t *testing.T) {
	r := loadFixture(t)
	if len(r.Groups) != 6 {
		t.Fatalf("got %d groups, want 6 (micro, main, maxstartups, latency, sleep, throughput)", len(r.Groups))
	}
	if inv := r.Groups[0]; inv.Scenario != "micro" || inv.Variants[0].Runs != 3 || inv.Variants[0].Wall != 0.9 {
		t.Errorf("first group = %s with %+v, want the micro inventory runs: 3, median wall 0.9", inv.Scenario, inv.Variants[0])
	}
	main := r.Groups[1]
	if main.Scenario != "main" || main.N != 50 || main.Cmd != "true" {
		t.Fatalf("first group = %s/%d/%s, want main/50/true", main.Scenario, main.N, main.Cmd)
	}
	rc := main.Variant("remotectl")
	if rc == nil || rc.Runs != 3 || rc.Wall != 2 || rc.SSHDCPU != 1.7 {
		t.Fatalf("remotectl stats = %+v, want 3 runs, median wall 2, median sshd CPU 1.7", rc)
	}
	if got := rc.CPU; got < 0.1999 || got > 0.2001 {
		t.Errorf("remotectl median CPU = %v, want 0.2", got)
	}

	// pdsh runs at 32 forks: compared with remotectl -f 32. Ansible at 5 forks
	// has no remotectl twin: compared with remotectl's defaults, as is
	// remotectl -f 32 itself.
	for variant, want := range map[string]string{"pdsh": "remotectl-f32", "ansible": "remotectl", "remotectl-f32": "remotectl"} {
		if got := main.Reference(main.Variant(variant)); got == nil || got.Variant != want {
			t.Errorf("Reference(%s) = %v, want %s", variant, got, want)
		}
	}

	pdsh := r.Groups[2].Variant("pdsh")
	if got := pdsh.FailedText(); got != "5 (3–7)" {
		t.Errorf("pdsh failed hosts = %q, want %q", got, "5 (3–7)")
	}
	if got := r.Groups[5].Variant("pdsh").ExitText(); got != "1" {
		t.Errorf("pdsh exits = %q, want %q", got, "1")
	}
}

// TestRenderGolden renders the fixture and compares it with the golden file;
// go test ./bench/mkreport -update rewrites it after an intended change.
func TestRenderGolden(t *testing.T) {
	r := loadFixture(t)
	r.ResultDir = "bench/results/fixture"
	var got bytes.Buffer
	if err := r.Render(&got); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./bench/mkreport -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("rendered report differs from %s (go test -update rewrites it); got:\n%s", golden, got.String())
	}
}

func TestRunWritesReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	var stderr bytes.Buffer
	if err := run([]string{"-in", filepath.Join("testdata", "run"), "-out", out}, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Benchmarks",
		"| pdsh | 32 | 3 | 5.00 | 3.70 | 1.72 | 8.0 | 0 | 0 | ×3.8 | ×22 | ×0.4 |",
		"Floor: sshd CPU 1.70 s / 2 cores = 0.85 s; remotectl wall / floor = 2.35.",
		"bench/checks.sh` writes [BENCHMARKS-checks.md]",
		"## Targets",
		"| Coalesce10k | 38.2 ms | 12.3 MB | 150,000 | — |",
		"Did not build or failed, so missing above (see micro.txt): remote/ssh.",
		"#### 1 MB of output per host, 200 hosts, prefixed lines to /dev/null",
		"Every host prints 1 MB (`cat out-1mb.txt`, 10,000 lines)",
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestLoadFindsNewestChecks reads the newest checks-* directory beside the
// results that has a results.tsv (checks-20260103-000000 has none), unless
// -checks names one.
func TestLoadFindsNewestChecks(t *testing.T) {
	r := loadFixture(t)
	if r.Checks == nil || !strings.HasSuffix(r.Checks.Dir, "checks-20260102-000000") {
		t.Fatalf("checks run = %+v, want testdata/checks-20260102-000000", r.Checks)
	}
	if rc := r.Checks.Variants[checksRemotectl]; rc.Runs != 3 || rc.Wall != 8.5 || rc.Hosts != 200 {
		t.Errorf("remotectl checks = %+v, want 3 runs, median wall 8.5, 200 hosts", rc)
	}
	if r.Checks.Date != "2026-01-02 00:00 UTC" {
		t.Errorf("checks date = %q, want the date of its machine.tsv", r.Checks.Date)
	}

	older, err := load(filepath.Join("testdata", "run"), filepath.Join("testdata", "checks-20260101-000000"))
	if err != nil {
		t.Fatal(err)
	}
	if ti := older.Checks.Variants[checksTestinfra]; ti.Wall != 100 {
		t.Errorf("with -checks: testinfra wall = %v, want 100 from the directory named", ti.Wall)
	}
	if older.Checks.Date != "" {
		t.Errorf("a checks run without machine.tsv has date %q, want none", older.Checks.Date)
	}
}

func TestRunFailsWithoutResults(t *testing.T) {
	var stderr bytes.Buffer
	err := run([]string{"-in", filepath.Join(t.TempDir(), "missing"), "-out", "-"}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "run bench/run.sh first") {
		t.Errorf("run on a missing directory: %v, want a hint to run bench/run.sh", err)
	}
}

// TestRunKeepsGossSection: rewriting the page keeps the section
// bench/checks-goss.sh wrote into it, once, before "Not covered yet".
func TestRunKeepsGossSection(t *testing.T) {
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	section := gossBegin + "\n## remotectl check vs goss on one host\n\nnumbers\n" + gossEnd
	if err := os.WriteFile(out, []byte("# Benchmarks\n\nold\n\n"+section+"\n## Not covered yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var stderr bytes.Buffer
		if err := run([]string{"-in", filepath.Join("testdata", "run"), "-out", out}, &stderr); err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.String())
		}
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	if strings.Count(text, section) != 1 || strings.Contains(text, "\nold\n") {
		t.Fatalf("page:\n%s", text)
	}
	if i, j := strings.Index(text, section), strings.Index(text, "\n## Not covered yet"); i < 0 || j < i {
		t.Errorf("the goss section is not before Not covered yet:\n%s", text)
	}
}
