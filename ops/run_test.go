package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
	"github.com/remotectl/remotectl/runrec"
)

// testCodes are exec's rules: bit 4 for the deadline, 74 for an output.
var testCodes = ExitCodes{
	OK:             0,
	Interrupted:    130,
	DeadlinePassed: func(code int) int { return code | 4 },
	OutputFailed:   func(int) int { return 74 },
}

// settings is a Settings from a map of flag values; the rest are defaults.
type settings map[string]any

func (s settings) get(k string, def any) any {
	if v, ok := s[k]; ok {
		return v
	}
	return def
}
func (s settings) GetBool(k string) bool { return s.get(k, false).(bool) }
func (s settings) GetString(k string) string {
	return s.get(k, map[string]string{FlagLogFormat: "text"}[k]).(string)
}
func (s settings) GetInt(k string) int { return s.get(k, 0).(int) }
func (s settings) IsSet(k string) bool { _, ok := s[k]; return ok }
func (s settings) GetDuration(k string) time.Duration {
	return s.get(k, time.Duration(0)).(time.Duration)
}

// TestLoadAppliesCron: --cron is resolved once, when the settings load:
// a derived lock, the default jitter unless --jitter is set, syslog at best
// effort unless asked for; what is set stays.
func TestLoadAppliesCron(t *testing.T) {
	o, err := Load(settings{FlagCron: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Options{Cron: true, Lock: LockAuto, Jitter: CronJitter, Syslog: true, SyslogBestEffort: true, LogFormat: "text"}); o != want {
		t.Errorf("--cron: %+v\nwant %+v", o, want)
	}
	o, err = Load(settings{FlagCron: true, FlagJitter: time.Duration(0), FlagLock: "/run/x.lock", FlagSyslog: true})
	if err != nil {
		t.Fatal(err)
	}
	if o.Jitter != 0 || o.Lock != "/run/x.lock" || !o.Syslog || o.SyslogBestEffort {
		t.Errorf("--cron with settings of its own: %+v", o)
	}
	if o, _ := Load(settings{}); o.Lock != "" || o.Jitter != 0 || o.Syslog {
		t.Errorf("no --cron: %+v", o)
	}
	_, err = Load(settings{FlagDeadline: -time.Second, FlagLogFormat: "xml", FlagFrom: "x"})
	var ue UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("bad settings: %v, want a UsageError", err)
	}
	for _, want := range []string{"--deadline must not be negative", "--log-format must be text or json", "--from names the run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q should say %q", err, want)
		}
	}
}

// newTestRun returns a Run of "exec uptime" keeping its history, lock and
// outputs under dir, with stderr in memory and a fake clock.
func newTestRun(dir string, o Options, stderr io.Writer, c Clock) *Run {
	o.KeepRuns = 10
	if o.LogFormat == "" {
		o.LogFormat = "json"
	}
	return New(Command{Name: "exec", Args: []string{"uptime"}}, o, Deps{
		Err:     stderr,
		Getenv:  func(string) string { return "" },
		Clock:   c,
		History: runrec.Store{Dir: filepath.Join(dir, "runs")},
		Scope:   Scope{Inventories: []string{"/inv.yaml"}, Hosts: "web"},
		Codes:   testCodes,
	})
}

// TestRunLockDeadlineFinish: a run holds its lock (a second run gets a
// LockedError), its deadline passes, and Finish adds the deadline's bit,
// writes the report and textfile, the record and the log, all without the
// CLI.
func TestRunLockDeadlineFinish(t *testing.T) {
	dir := t.TempDir()
	c := newFakeClock()
	var stderr bytes.Buffer
	o := Options{
		Lock:     filepath.Join(dir, "exec.lock"),
		Jitter:   time.Hour,
		Deadline: time.Millisecond,
		Report:   filepath.Join(dir, "report.json"),
		Textfile: filepath.Join(dir, "exec.prom"),
		LogFile:  filepath.Join(dir, "run.log"),
	}
	r := newTestRun(dir, o, &stderr, c)
	r.Secrets().Add("s3cret")
	loaded := false
	runCtx, err := r.Begin(context.Background(), func(context.Context) error { loaded = true; return nil })
	if err != nil || !loaded {
		t.Fatalf("Begin: %v (inventory loaded: %v)", err, loaded)
	}
	defer r.Close()
	if len(c.waits) != 1 || c.waits[0] >= time.Hour {
		t.Errorf("jitter waits %v, want one wait under an hour", c.waits)
	}

	second := newTestRun(dir, o, io.Discard, c)
	_, err = second.Begin(context.Background(), func(context.Context) error { return nil })
	second.Close()
	var le LockedError
	if !errors.As(err, &le) || le.Holder.Command != "exec" || le.Holder.RunID != r.ID() {
		t.Fatalf("second run: %v, want a LockedError naming the first", err)
	}

	<-runCtx.Done() // the deadline passes before the host is done
	c.t = c.t.Add(3 * time.Second)
	ts := []remote.Target{{Name: "web01"}}
	events := make(chan remote.Event, 2)
	events <- remote.Event{Kind: remote.EventOutput, Target: &ts[0], Data: []byte("pw s3cret\n")}
	events <- remote.Event{Kind: remote.EventDone, Target: &ts[0], Err: context.DeadlineExceeded}
	close(events)
	for ev := range r.ObserveExec(events, ts) {
		if bytes.Contains(ev.Data, []byte("s3cret")) {
			t.Errorf("event not masked: %q", ev.Data)
		}
	}
	code := r.Finish(&Outcome{
		Hosts:      []runrec.Host{{Name: "web01", Status: runrec.StatusTimeout}},
		Counts:     "ok 0, timed out 1",
		Code:       1,
		Unfinished: 1,
		Metrics:    func(path string) ([]byte, error) { return []byte("m 1\n"), nil },
	})
	if code != 5 {
		t.Errorf("exit code %d, want 5 (1 and the deadline's 4)", code)
	}
	if !strings.Contains(stderr.String(), "--deadline 1ms) passed: 1 host(s) did not finish") {
		t.Errorf("stderr %q should tell the deadline passed", stderr.String())
	}
	if got, _ := os.ReadFile(o.Textfile); string(got) != "m 1\n" {
		t.Errorf("textfile %q", got)
	}
	if rep, err := os.ReadFile(o.Report); err != nil || bytes.Contains(rep, []byte("s3cret")) || !bytes.Contains(rep, []byte("web01")) {
		t.Errorf("report %q (%v): want web01, masked", rep, err)
	}
	if rep, _ := os.ReadFile(o.Report); !bytes.Contains(rep, []byte(`"id": "`+r.ID()+`"`)) {
		t.Errorf("report %s: want the run's own ID, no --run-id given", rep)
	}
	rec, err := r.d.History.Latest(r.key, "")
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != r.ID() || rec.ExitCode != 5 || !rec.DeadlineExpired || rec.DurationMS != 3000 || rec.Pattern != "web" {
		t.Errorf("record %+v", rec)
	}
	log, _ := os.ReadFile(o.LogFile)
	var last map[string]any
	lines := bytes.Split(bytes.TrimSpace(log), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil {
		t.Fatalf("log %q: %v", log, err)
	}
	if last["msg"] != "run ended" || last["exit_code"] != 5.0 || last["deadline_expired"] != true {
		t.Errorf("last log line %v", last)
	}
}

// TestFinishOutputFailed: a document that cannot be rendered makes the
// run's code the output-failed one, and says so.
func TestFinishOutputFailed(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	r := newTestRun(dir, Options{Textfile: filepath.Join(dir, "x.prom")}, &stderr, newFakeClock())
	if _, err := r.Begin(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	code := r.Finish(&Outcome{Metrics: func(string) ([]byte, error) { return nil, errors.New("no metrics") }})
	if code != 74 || !strings.Contains(stderr.String(), "--prometheus-textfile: no metrics") {
		t.Errorf("exit %d, stderr %q: want 74 and the failure", code, stderr.String())
	}
}

// TestBeginChecksOutputsFirst: an output that cannot be written stops the
// run before the lock and the inventory.
func TestBeginChecksOutputsFirst(t *testing.T) {
	dir := t.TempDir()
	r := newTestRun(dir, Options{Report: filepath.Join(dir, "missing", "r.json"), Lock: filepath.Join(dir, "l")}, io.Discard, newFakeClock())
	_, err := r.Begin(context.Background(), func(context.Context) error { t.Error("inventory loaded"); return nil })
	r.Close()
	var ue UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--report") {
		t.Errorf("Begin: %v, want a UsageError naming --report", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "l")); err == nil {
		t.Error("the lock was taken")
	}
}

// TestRerunFromHistory: --rerun failed keeps the hosts that failed in the
// last run of the same command; with none, ErrNothingToRerun.
func TestRerunFromHistory(t *testing.T) {
	dir := t.TempDir()
	c := newFakeClock()
	first := newTestRun(dir, Options{}, io.Discard, c)
	if _, err := first.Begin(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	first.Finish(&Outcome{Code: 1, Hosts: []runrec.Host{{Name: "web01", Status: runrec.StatusOK}, {Name: "web02", Status: runrec.StatusFailed}}})
	first.Close()

	c.t = c.t.Add(time.Minute)
	var stderr bytes.Buffer
	again := newTestRun(dir, Options{Rerun: runrec.RerunFailed}, &stderr, c)
	if _, err := again.Begin(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	kept, err := again.Rerun([]remote.Target{{Name: "web01"}, {Name: "web02"}, {Name: "web03"}})
	if err != nil || len(kept) != 1 || kept[0].Name != "web02" {
		t.Errorf("Rerun = %v, %v; want web02", kept, err)
	}
	if _, err := again.Rerun([]remote.Target{{Name: "web01"}}); !errors.Is(err, ErrNothingToRerun) {
		t.Errorf("Rerun with no failed host: %v, want ErrNothingToRerun", err)
	}
	if !strings.Contains(stderr.String(), "nothing to rerun: no selected host is failed in run "+first.ID()) {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestRunInfoSharded: with --run-id and --shard, the run's documents and
// its record carry both, for report merge and runs list.
func TestRunInfoSharded(t *testing.T) {
	dir := t.TempDir()
	r := New(Command{Name: "exec", Args: []string{"uptime"}}, Options{KeepRuns: 10, RunID: "slurm-7", LogFormat: "json"}, Deps{
		Err:     io.Discard,
		Getenv:  func(string) string { return "" },
		Clock:   newFakeClock(),
		History: runrec.Store{Dir: filepath.Join(dir, "runs")},
		Scope:   Scope{Hosts: "all", Shard: "3/4"},
		Codes:   testCodes,
	})
	if _, err := r.Begin(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := *r.RunInfo(); got != (report.RunInfo{ID: "slurm-7", Command: "exec", Shard: "3/4"}) {
		t.Errorf("RunInfo = %+v", got)
	}
	r.Finish(&Outcome{Code: 0})
	rec, err := r.d.History.Latest(r.key, "")
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != r.ID() || rec.RunID != "slurm-7" || rec.Shard != "3/4" {
		t.Errorf("record id %s run_id %q shard %q", rec.ID, rec.RunID, rec.Shard)
	}
	// Another shard of the same command is another key (--rerun) and another lock.
	other := New(Command{Name: "exec", Args: []string{"uptime"}}, Options{}, Deps{Scope: Scope{Hosts: "all", Shard: "4/4"}})
	plain := New(Command{Name: "exec", Args: []string{"uptime"}}, Options{}, Deps{Scope: Scope{Hosts: "all"}})
	if other.key == r.key || plain.key == r.key {
		t.Error("shards 3/4, 4/4 and the unsharded run share a history key")
	}
	getenv := func(k string) string { return map[string]string{"XDG_RUNTIME_DIR": dir}[k] }
	l3, _ := DefaultLockPath(getenv, "exec", []string{"uptime"}, Scope{Hosts: "all", Shard: "3/4"})
	l4, _ := DefaultLockPath(getenv, "exec", []string{"uptime"}, Scope{Hosts: "all", Shard: "4/4"})
	if l3 == l4 || l3 == "" {
		t.Errorf("shards 3/4 and 4/4 share the lock %s", l3)
	}
}

func TestObservePlayPassesPlayEventsInOrder(t *testing.T) {
	r := New(Command{Name: "play", Args: []string{"site.yml"}}, Options{}, Deps{})
	events := make(chan remote.Event, 3)
	kinds := []report.PlayEventKind{report.PlayStart, report.TaskStart, report.PlayEnd}
	for _, k := range kinds {
		events <- remote.Event{Kind: remote.EventNote, Index: -1, Detail: &report.PlayEvent{Kind: k, Play: "p"}}
	}
	close(events)
	var observed, rendered []report.PlayEventKind
	observe := func(ev remote.Event) {
		if pe, ok := report.PlayEventOf(ev); ok {
			observed = append(observed, pe.Kind)
		}
	}
	for ev := range r.ObservePlay(events, nil, observe) { // a nil observer (no status line) is skipped
		pe, ok := report.PlayEventOf(ev)
		if !ok {
			t.Fatalf("event %+v lost its play event", ev)
		}
		rendered = append(rendered, pe.Kind)
	}
	if !slices.Equal(observed, kinds) || !slices.Equal(rendered, kinds) {
		t.Errorf("observed %v, rendered %v; want %v both", observed, rendered, kinds)
	}
}
