package runrec

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func intp(n int) *int { return &n }

func digestOf(s string) *Digest {
	var d Digester
	d.Write([]byte(s))
	return d.Digest()
}

func TestDigesterKeepsHeadAndCutsWholeCharacters(t *testing.T) {
	long := strings.Repeat("a", HeadSize-1) + "é" + "tail" // é straddles the head's end
	var d Digester
	d.Write([]byte(long[:10]))
	d.Write([]byte(long[10:]))
	got := d.Digest()
	if got.Size != int64(len(long)) || !got.Truncated {
		t.Fatalf("size %d truncated %v, want %d true", got.Size, got.Truncated, len(long))
	}
	if got.Head != strings.Repeat("a", HeadSize-1) {
		t.Errorf("head ends %q, want the a's without half a character", got.Head[len(got.Head)-3:])
	}
	if !got.Same(digestOf(long)) || got.Same(digestOf(long+"x")) {
		t.Error("digests of the same bytes differ, or of different bytes agree")
	}
	var empty *Digest
	if !empty.Same(digestOf("")) {
		t.Error("an absent digest should equal that of empty output")
	}
}

func TestStoreSaveLoadResolvePrune(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "runs")}
	base := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	var ids []string
	for i := range 5 {
		rec := &Record{ID: NewID(base.Add(time.Duration(i)*time.Hour), "exec"), Command: "exec", Key: "k", Start: base}
		if i == 2 {
			rec.Key = "other"
		}
		if err := s.Save(rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	got, err := s.IDs()
	if err != nil || !slices.Equal(got, ids) {
		t.Fatalf("IDs = %v, %v; want %v", got, err, ids)
	}
	for in, want := range map[string]string{"last": ids[4], "last~1": ids[3], "last~4": ids[0], ids[1]: ids[1], ids[1][:18]: ids[1]} {
		if got, err := s.Resolve(in); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"last~5", "nope", "last~x"} {
		if _, err := s.Resolve(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%q) err = %v, want ErrNotFound", bad, err)
		}
	}
	if _, err := s.Resolve("2026"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("Resolve of a shared prefix: err = %v, want ambiguous", err)
	}
	latest, err := s.Latest("k", ids[4])
	if err != nil || latest.ID != ids[3] {
		t.Errorf("Latest skipping the newest = %v, %v; want %s", latest, err, ids[3])
	}
	prev, err := s.Previous(latest)
	if err != nil || prev.ID != ids[1] {
		t.Errorf("Previous(%s) = %v, %v; want %s (skipping the other key)", latest.ID, prev, err, ids[1])
	}
	n, err := s.Prune(3, 0, base)
	if err != nil || n != 2 {
		t.Fatalf("Prune(3) removed %d, %v; want 2", n, err)
	}
	n, err = s.Prune(0, 90*time.Minute, base.Add(4*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Prune by age removed %d, %v; want 1 (the run of 2h)", n, err)
	}
	if got, _ := s.IDs(); !slices.Equal(got, ids[3:]) {
		t.Errorf("after pruning: %v, want %v", got, ids[3:])
	}
}

func TestStoreReportsDamagedRecords(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if err := s.Save(&Record{ID: NewID(time.Now(), "check"), Command: "check"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "20000101-000000.000000-exec-0000.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := s.List()
	if len(recs) != 1 || err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("List = %d records, %v; want 1 and an error naming the damaged file", len(recs), err)
	}
	if err := s.Save(&Record{ID: "../escape"}); err == nil {
		t.Error("Save accepted an ID with a path separator")
	}
}

func TestDiffAndRerun(t *testing.T) {
	older := &Record{ID: "1", Hosts: []Host{
		{Name: "same", Status: StatusOK, ExitCode: intp(0), Stdout: digestOf("x")},
		{Name: "output", Status: StatusOK, ExitCode: intp(0), Stdout: digestOf("v1")},
		{Name: "exit", Status: StatusFailed, ExitCode: intp(2), Stdout: digestOf("")},
		{Name: "gone", Status: StatusOK, ExitCode: intp(0)},
		{Name: "checks", Status: StatusOK, Checks: []Check{{Check: "port tcp:22", Property: "listening", Status: "pass"}, {Check: "file /etc", Property: "exists", Status: "pass"}}},
		{Name: "down", Status: StatusOK, ExitCode: intp(0), Stdout: digestOf("up")},
	}}
	newer := &Record{ID: "2", Hosts: []Host{
		{Name: "same", Status: StatusOK, ExitCode: intp(0), Stdout: digestOf("x")},
		{Name: "output", Status: StatusOK, ExitCode: intp(0), Stdout: digestOf("v2")},
		{Name: "exit", Status: StatusOK, ExitCode: intp(0), Stdout: digestOf("")},
		{Name: "new", Status: StatusOK, ExitCode: intp(0)},
		{Name: "checks", Status: StatusFailed, Checks: []Check{{Check: "port tcp:22", Property: "listening", Status: "fail"}, {Check: "file /etc", Property: "exists", Status: "pass"}}},
		{Name: "down", Status: StatusUnreachable, ErrorClass: "refused"},
	}}
	diffs := Diff(older, newer)
	byHost := make(map[string]HostDiff)
	var order []string
	for _, d := range diffs {
		byHost[d.Host] = d
		order = append(order, d.Host)
	}
	if want := []string{"output", "exit", "new", "checks", "down", "gone"}; !slices.Equal(order, want) {
		t.Fatalf("changed hosts %v, want %v", order, want)
	}
	if d := byHost["output"]; !d.StdoutChanged || d.StderrChanged {
		t.Errorf("output: %+v, want stdout changed only", d)
	}
	if d := byHost["exit"]; *d.ExitFrom != 2 || *d.ExitTo != 0 {
		t.Errorf("exit: %+v", d)
	}
	if d := byHost["new"]; d.Change != HostAdded {
		t.Errorf("new: %s", d.Change)
	}
	if d := byHost["gone"]; d.Change != HostRemoved {
		t.Errorf("gone: %s", d.Change)
	}
	if d := byHost["checks"]; len(d.Flipped) != 1 || d.Flipped[0] != (CheckFlip{"port tcp:22", "listening", "pass", "fail"}) {
		t.Errorf("checks flipped: %+v", d.Flipped)
	}
	if d := byHost["down"]; d.StdoutChanged || d.ClassTo != "refused" {
		t.Errorf("down: %+v: output of an unreachable host is not compared", d)
	}

	for mode, want := range map[string][]string{
		RerunFailed:      {"checks", "down"},
		RerunUnreachable: {"down"},
		RerunChanged:     {"output", "exit", "new", "checks", "down"},
	} {
		got, err := RerunHosts(mode, newer, older)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("RerunHosts(%s) = %v, %v; want %v", mode, got, err, want)
		}
	}
	if got, _ := RerunHosts(RerunChanged, newer, nil); len(got) != len(newer.Hosts) {
		t.Errorf("changed without an earlier run: %v, want every host", got)
	}
	if _, err := RerunHosts("bogus", newer, older); err == nil {
		t.Error("an unknown mode was accepted")
	}
}

func TestKeyDependsOnCommandArgsAndInventories(t *testing.T) {
	k := Key("exec", []string{"uptime"}, []string{"/inv.yaml"})
	for _, other := range []string{
		Key("check", []string{"uptime"}, []string{"/inv.yaml"}),
		Key("exec", []string{"uptime", ""}, []string{"/inv.yaml"}),
		Key("exec", []string{"uptime"}, nil),
		Key("exec", nil, []string{"uptime", "/inv.yaml"}),
	} {
		if other == k {
			t.Errorf("different runs share the key %s", k)
		}
	}
	if Key("exec", []string{"uptime"}, []string{"/inv.yaml"}) != k {
		t.Error("the key is not stable")
	}
}

func TestWriteFileAtomicReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.prom")
	for _, content := range []string{"first\n", "second\n"} {
		if err := WriteFileAtomic(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o644); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestResolveAcceptsAUniqueSuffix(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	ids := []string{"20260102-150405.000000-exec-3fa2", "20260102-160405.000000-exec-00ff", "20260102-170405.000000-play-11ff"}
	for _, id := range ids {
		if err := s.Save(&Record{ID: id, Command: "exec"}); err != nil {
			t.Fatal(err)
		}
	}
	for in, want := range map[string]string{"3fa2": ids[0], "exec-3fa2": ids[0], "00ff": ids[1], "play-11ff": ids[2], "20260102-17": ids[2]} {
		if got, err := s.Resolve(in); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := s.Resolve("ff")
	if !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), ids[1]+", "+ids[2]) {
		t.Errorf("Resolve of a shared suffix: err = %v, want ambiguous listing %s and %s", err, ids[1], ids[2])
	}
}

func TestLatestAndPreviousSkipDryRuns(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	ids := []string{"20260102-150405.000000-play-0001", "20260102-160405.000000-play-0002", "20260102-170405.000000-play-0003"}
	for i, id := range ids {
		if err := s.Save(&Record{ID: id, Command: "play", Key: "k", DryRun: i == 1}); err != nil {
			t.Fatal(err)
		}
	}
	if rec, err := s.Latest("k", ids[2]); err != nil || rec.ID != ids[0] {
		t.Errorf("Latest skipping %s = %v, %v; want %s, not the dry run", ids[2], rec, err, ids[0])
	}
	last, err := s.Load("last")
	if err != nil {
		t.Fatal(err)
	}
	if prev, err := s.Previous(last); err != nil || prev.ID != ids[0] {
		t.Errorf("Previous(%s) = %v, %v; want %s, not the dry run", last.ID, prev, err, ids[0])
	}
	if dry, err := s.Load(ids[1]); err != nil || !dry.DryRun {
		t.Errorf("Load(%s) = %v, %v; want the dry run, marked as such", ids[1], dry, err)
	}
}

func TestCheckWriteAtomicLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckWriteAtomic(path); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "previous" {
		t.Errorf("the previous report became %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the report", len(entries))
	}
	if err := CheckWriteAtomic(filepath.Join(dir, "missing", "r.json")); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "cannot create a file in "+filepath.Join(dir, "missing")) {
		t.Errorf("in a missing directory: %v", err)
	}
	if err := CheckWriteAtomic(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory as the file: %v", err)
	}
}

func TestNewDiffDoc(t *testing.T) {
	older, newer := &Record{ID: "1"}, &Record{ID: "2"}
	doc, err := json.Marshal(NewDiffDoc(older, newer, nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"from":"1","to":"2","hosts":[]}`; string(doc) != want {
		t.Errorf("diff document %s, want %s (no change: an empty list, not null)", doc, want)
	}
}
