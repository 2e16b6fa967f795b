package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// playFleet is the events and the run of a playbook run with a bit of
// everything: two plays, batches, a loop, a handler, a failure with output,
// an ignored failure, a skipped task, an unreachable host, a timeout, a
// play stopped by its health gate with hosts it never reached, and text
// that needs escaping.
func playFleet() ([]PlayEvent, *PlayRun) {
	rc := func(n int) *int { return &n }
	run := &PlayRun{Playbook: "site.yaml", Duration: 4200 * time.Millisecond,
		Stopped: `play "web": a check task failed on web02 (a health gate)`}
	var events []PlayEvent
	stats := map[string]*PlayHostStats{}
	for _, h := range []string{"web01", "web02", "web03", "web04", "db1", "db2"} {
		stats[h] = &PlayHostStats{Host: h}
		run.Recap = append(run.Recap, stats[h])
	}
	result := func(r *TaskResult) {
		run.Results = append(run.Results, r)
		stats[r.Host].Count(r)
		events = append(events, PlayEvent{Kind: TaskDone, Result: r})
	}
	task := func(play, name string, handler bool) {
		events = append(events, PlayEvent{Kind: TaskStart, Play: play, Task: name, Handler: handler})
	}

	db := &PlayReport{Name: "db", Hosts: "db", Batches: [][]string{{"db1", "db2"}}, Strategy: "linear", Failed: 2}
	events = append(events, PlayEvent{Kind: PlayStart, Play: "db", About: "(2 hosts)", Hosts: []string{"db1", "db2"}},
		PlayEvent{Kind: BatchStart, Play: "db", Batch: 1, Batches: 1, Hosts: []string{"db1", "db2"}})
	task("db", "install postgres", false)
	result(&TaskResult{Host: "db1", Play: "db", Task: "install postgres", Pos: "site.yaml:4:7", Action: "shell", Status: TaskFailed,
		Msg: "non-zero return code\nsecond line", RC: rc(100), Stdout: "Reading package lists...\n", Stderr: "E: Unable to locate package postgres\x1b[31m\n", Duration: 1200 * time.Millisecond})
	result(&TaskResult{Host: "db2", Play: "db", Task: "install postgres", Pos: "site.yaml:4:7", Action: "shell", Status: TaskUnreachable, ErrorClass: "refused",
		Msg: "dial tcp 192.0.2.7:22: connect: connection refused", Duration: 30 * time.Millisecond})
	events = append(events, PlayEvent{Kind: PlayEnd, Play: "db", Report: db})

	web := &PlayReport{Name: "web", Hosts: "web", Batches: [][]string{{"web01"}, {"web02", "web03"}, {"web04"}}, Strategy: "linear",
		Stopped: "a check task failed on web02 (a health gate)", NotRun: []string{"web04"}, Failed: 1}
	events = append(events, PlayEvent{Kind: PlayStart, Play: "web", About: "(4 hosts, serial 1,50%)", Hosts: []string{"web01", "web02", "web03", "web04"}},
		PlayEvent{Kind: BatchStart, Play: "web", Batch: 1, Batches: 3, Hosts: []string{"web01"}})
	task("web", "packages", false)
	for _, item := range []string{"nginx", "curl"} {
		result(&TaskResult{Host: "web01", Play: "web", Task: "packages", Pos: "site.yaml:12:7", Action: "command", Item: item, Status: TaskChanged, RC: rc(0), Duration: 300 * time.Millisecond})
	}
	task("web", "legacy cleanup", false)
	result(&TaskResult{Host: "web01", Play: "web", Task: "legacy cleanup", Pos: "site.yaml:16:7", Action: "shell", Status: TaskSkipped, Msg: "when: os_family == \"Debian\" was false"})
	task("web", "restart nginx", true)
	result(&TaskResult{Host: "web01", Play: "web", Task: "restart nginx", Handler: true, Pos: "site.yaml:30:7", Action: "command", Status: TaskChanged, RC: rc(0), Duration: 800 * time.Millisecond})
	events = append(events, PlayEvent{Kind: BatchStart, Play: "web", Batch: 2, Batches: 3, Hosts: []string{"web02", "web03"}})
	task("web", "packages", false)
	result(&TaskResult{Host: "web02", Play: "web", Task: "packages", Pos: "site.yaml:12:7", Action: "command", Item: "nginx", Status: TaskOK, RC: rc(0), Duration: 200 * time.Millisecond})
	result(&TaskResult{Host: "web03", Play: "web", Task: "packages", Pos: "site.yaml:12:7", Action: "command", Item: "nginx", Status: TaskFailed, TimedOut: true, ErrorClass: "timeout",
		Msg: "no result within 30s", Duration: 30 * time.Second})
	task("web", "optional tuning", false)
	result(&TaskResult{Host: "web02", Play: "web", Task: "optional tuning", Pos: "site.yaml:20:7", Action: "shell", Status: TaskFailed, Ignored: true, Msg: "non-zero return code", RC: rc(1), Stderr: "sysctl: permission denied\n"})
	task("web", "health", false)
	result(&TaskResult{Host: "web02", Play: "web", Task: "health", Pos: "site.yaml:24:7", Action: "check", Status: TaskFailed, Msg: "1 of 3 properties failed: http http://web02/health status: expected 200, got 503\x1b]0;pwned\a\r"})
	events = append(events, PlayEvent{Kind: PlayEnd, Play: "web", Report: web})
	run.Plays = []*PlayReport{db, web}
	return events, run
}

// renderPlay renders playFleet in opts' format.
func renderPlay(t *testing.T, opts PlayOptions) string {
	t.Helper()
	var out bytes.Buffer
	opts.Out = &out
	r, err := NewPlayRenderer(opts)
	if err != nil {
		t.Fatal(err)
	}
	events, run := playFleet()
	for _, ev := range events {
		r.Observe(ev)
	}
	if err := r.Finish(run); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestPlayGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts PlayOptions
	}{
		{"text", PlayOptions{}},
		{"text_color", PlayOptions{Format: FormatText, Color: true}},
		{"text_verbose", PlayOptions{Format: FormatText, Verbose: true}},
		{"text_quiet", PlayOptions{Format: FormatText, Quiet: true}},
		{"json", PlayOptions{Format: FormatJSON}},
		{"jsonl", PlayOptions{Format: FormatJSONL}},
		{"junit", PlayOptions{Format: FormatJUnit}},
		{"prometheus", PlayOptions{Format: FormatPrometheus}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "play_"+tt.name, renderPlay(t, tt.opts))
		})
	}
}

// A quiet run where every host succeeded prints nothing, as exec -q.
func TestPlayQuietSuccessIsSilent(t *testing.T) {
	var out bytes.Buffer
	r, err := NewPlayRenderer(PlayOptions{Out: &out, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	ok := &TaskResult{Host: "web01", Play: "web", Task: "packages", Status: TaskChanged, Stdout: "installed\n"}
	for _, ev := range []PlayEvent{
		{Kind: PlayStart, Play: "web", About: "(1 host)", Hosts: []string{"web01"}},
		{Kind: BatchStart, Play: "web", Batch: 1, Batches: 2, Hosts: []string{"web01"}},
		{Kind: TaskStart, Play: "web", Task: "packages"},
		{Kind: TaskDone, Result: ok},
		{Kind: PlayEnd, Play: "web", Report: &PlayReport{Name: "web"}},
	} {
		r.Observe(ev)
	}
	stats := &PlayHostStats{Host: "web01"}
	stats.Count(ok)
	if err := r.Finish(&PlayRun{Results: []*TaskResult{ok}, Recap: []*PlayHostStats{stats}}); err != nil {
		t.Fatal(err)
	}
	if out.Len() > 0 {
		t.Errorf("quiet output of a successful run:\n%s", out.String())
	}
}

func TestPlayRecapGolden(t *testing.T) {
	var b strings.Builder
	_, run := playFleet()
	run.Interrupted = true
	if err := (&playText{}).finish(&b, run); err != nil {
		t.Fatal(err)
	}
	golden(t, "play_recap", b.String())
}

func TestPlayJSONLParsesBack(t *testing.T) {
	out := renderPlay(t, PlayOptions{Format: FormatJSONL})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var types []string
	for _, line := range lines {
		var v struct{ Type string }
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		types = append(types, v.Type)
	}
	if got, want := strings.Join(types, ","), "result,result,play,result,result,result,result,result,result,result,result,play,summary"; got != want {
		t.Errorf("jsonl types %s, want %s", got, want)
	}
	var sum struct {
		Recap   []PlayHostStats
		Results []any
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Recap) != 6 || sum.Results != nil {
		t.Errorf("summary line has %d recap lines and results %v", len(sum.Recap), sum.Results)
	}
}

func TestPlayJUnitIsValid(t *testing.T) {
	out := renderPlay(t, PlayOptions{Format: FormatJUnit})
	validateJUnit(t, out)
	var doc junitSuites
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 10 || doc.Failures != 3 || doc.Errors != 1 {
		t.Errorf("tests=%d failures=%d errors=%d, want 10, 3, 1", doc.Tests, doc.Failures, doc.Errors)
	}
}

func TestPlayPrometheusPassesPromtool(t *testing.T) {
	promtoolCheck(t, renderPlay(t, PlayOptions{Format: FormatPrometheus}))
}

func TestPlayFormatUnknown(t *testing.T) {
	_, err := NewPlayRenderer(PlayOptions{Format: "tap", Out: &bytes.Buffer{}})
	if err == nil || err.Error() != `unknown output format "tap" for play results: use one of text, json, jsonl, junit, prometheus` {
		t.Errorf("err = %v", err)
	}
}

func TestPlayRendererKeepsItsFirstError(t *testing.T) {
	w := &failingWriter{}
	r, err := NewPlayRenderer(PlayOptions{Out: w})
	if err != nil {
		t.Fatal(err)
	}
	events, run := playFleet()
	for _, ev := range events {
		r.Observe(ev)
	}
	if err := r.Finish(run); err == nil || err.Error() != "broken pipe" || w.writes != 1 {
		t.Errorf("Finish = %v after %d writes, want broken pipe after 1", err, w.writes)
	}
}
