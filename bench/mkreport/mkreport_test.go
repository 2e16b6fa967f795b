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
	r, err := load(filepath.Join("testdata", "run"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSummarize(t *testing.T) {
	r := loadFixture(t)
	if len(r.Groups) != 5 {
		t.Fatalf("got %d groups, want 5 (main, maxstartups, latency, sleep, throughput)", len(r.Groups))
	}
	main := r.Groups[0]
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

	pdsh := r.Groups[1].Variant("pdsh")
	if got := pdsh.FailedText(); got != "5 (3–7)" {
		t.Errorf("pdsh failed hosts = %q, want %q", got, "5 (3–7)")
	}
	if got := r.Groups[4].Variant("pdsh").ExitText(); got != "1" {
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
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestRunFailsWithoutResults(t *testing.T) {
	var stderr bytes.Buffer
	err := run([]string{"-in", filepath.Join(t.TempDir(), "missing"), "-out", "-"}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "run bench/run.sh first") {
		t.Errorf("run on a missing directory: %v, want a hint to run bench/run.sh", err)
	}
}
