package runrec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostile is what a host (or a command line) may hold: an OSC retitling
// the terminal, BEL, a clear screen, and a byte that is not UTF-8.
const hostile = "A\x1b]0;PWN\a\x1b[2J\xff"

// escaped is hostile as report.Printable shows it.
const escaped = `A\x1b]0;PWN\a\x1b[2J\xff`

// rawControls fails when out holds a control character other than a
// newline or a tab, or a byte that is not UTF-8.
func rawControls(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r == 0xfffd && !strings.HasPrefix(out[i:], "\uFFFD")) {
			t.Errorf("%s passes %q to the terminal at %d:\n%s", what, r, i, out)
			return
		}
	}
	if strings.ContainsRune(out, 0xfffd) {
		t.Errorf("%s shows U+FFFD where the bytes should be shown escaped:\n%s", what, out)
	}
}

func hostileRecord(id string) *Record {
	return &Record{
		ID: id, Command: "exec", Args: []string{"printf", "%s", hostile}, Pattern: "web",
		Start: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC),
		Hosts: []Host{
			{Name: "web\x1b[2J01", Status: StatusFailed, Signal: "KILL\x1b[2J", Stdout: digestOf(hostile + "\nsecond\n"), Stderr: digestOf("e\x07")},
			{Name: "same\x1b]0;x\a", Status: StatusOK, ExitCode: intp(0)},
			{Name: "chk", Status: StatusFailed, Checks: []Check{{Check: "file /x\x1b[31m", Property: "mode\a", Status: "fail", Message: "got \x1b[2J"}}},
		},
	}
}

func TestTextViewsEscapeWhatHostsAndCommandLinesHold(t *testing.T) {
	older, newer := hostileRecord("1"), hostileRecord("2")
	newer.Hosts[0].Stdout = digestOf("B\x1b[2J\xfe")
	newer.Hosts[2].Checks[0].Status = "pass"

	var list, show, diff strings.Builder
	if err := WriteList(&list, []*Record{older}); err != nil {
		t.Fatal(err)
	}
	if err := WriteShow(&show, older); err != nil {
		t.Fatal(err)
	}
	if err := WriteDiff(&diff, older, newer, Diff(older, newer)); err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{"runs list": list.String(), "runs show": show.String(), "runs diff": diff.String()} {
		rawControls(t, what, out)
	}
	// The command line stays readable, its argument escaped.
	if want := `exec -H web -- printf %s ` + escaped; !strings.Contains(list.String(), want) || !strings.Contains(show.String(), "remotectl "+want+"\n") {
		t.Errorf("command line: want %q in\n%s\n%s", want, list.String(), show.String())
	}
	for _, want := range []string{
		`web\x1b[2J01: failed (signal KILL\x1b[2J)`,
		"    " + escaped + "\n    second\n", // the head's bytes, \xff not U+FFFD
		`    e\a`,
		`  fail: file /x\x1b[31m mode\a: got \x1b[2J`,
	} {
		if !strings.Contains(show.String(), want) {
			t.Errorf("runs show: want %q in\n%s", want, show.String())
		}
	}
	for _, want := range []string{
		"    - " + escaped + "\n",
		`    + B\x1b[2J\xfe`,
		`  check file /x\x1b[31m mode\a: fail -> pass`,
		`unchanged: same\x1b]0;x\a`,
	} {
		if !strings.Contains(diff.String(), want) {
			t.Errorf("runs diff: want %q in\n%s", want, diff.String())
		}
	}
}

func TestCommandLineCutsWholeCharactersBeforeEscaping(t *testing.T) {
	rec := &Record{Command: "exec", Args: []string{strings.Repeat("\x1b", 100)}}
	got := CommandLine(rec)
	// "exec -- " is 8 characters: 51 ESCs make the 59 kept.
	if want := "exec -- " + strings.Repeat(`\x1b`, 51) + "…"; got != want {
		t.Errorf("CommandLine = %q, want %q", got, want)
	}
	rec.Args = []string{"\xff\xfe"}
	if got, want := CommandLine(rec), `exec -- \xff\xfe`; got != want {
		t.Errorf("CommandLine = %q, want %q", got, want)
	}
}

func TestHeadKeepsItsBytesThroughTheStore(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	rec := hostileRecord(NewID(time.Now(), "exec"))
	if err := s.Save(rec); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(s.Dir, rec.ID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"head_base64"`) || !strings.Contains(string(data), `"head": "e\u0007"`) {
		t.Errorf("record: want head_base64 for the head that is not UTF-8 and head for the one that is:\n%s", data)
	}
	got, err := s.Load(rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if h, want := got.Hosts[0].Stdout.Head, hostile+"\nsecond\n"; h != want {
		t.Errorf("head after load %q, want %q", h, want)
	}
	if *got.Hosts[0].Stdout != *rec.Hosts[0].Stdout || *got.Hosts[0].Stderr != *rec.Hosts[0].Stderr {
		t.Errorf("digests changed through the store: %+v, want %+v", got.Hosts[0].Stdout, rec.Hosts[0].Stdout)
	}
}

func TestDigestReadsRecordsWrittenBeforeHeadBase64(t *testing.T) {
	var d Digest
	old := `{"sha256":"ab","size":2,"head":"A\ufffd","truncated":true}`
	if err := json.Unmarshal([]byte(old), &d); err != nil {
		t.Fatal(err)
	}
	if want := (Digest{SHA256: "ab", Size: 2, Head: "A\uFFFD", Truncated: true}); d != want {
		t.Errorf("old record read as %+v, want %+v", d, want)
	}
}

// TestCommandLineShowsTheShard: runs list tells the shards of one run by
// their --shard and shared --run-id, and they survive the store.
func TestCommandLineShowsTheShard(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	rec := &Record{Version: 1, ID: NewID(time.Now(), "exec"), Command: "exec", Pattern: "all", Shard: "2/4", RunID: "slurm-7", Args: []string{"uptime"}}
	if err := s.Save(rec); err != nil {
		t.Fatal(err)
	}
	back, err := s.Load(rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := CommandLine(back), "exec -H all --shard 2/4 --run-id slurm-7 -- uptime"; got != want {
		t.Errorf("CommandLine = %q, want %q", got, want)
	}
}
