package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// execDoc renders an exec -o json document of shard over hosts, each
// printing out (raw bytes) and exiting with code.
func execDoc(t *testing.T, run RunInfo, hosts []string, out string, code int) []byte {
	t.Helper()
	targets := mergedTargets(hosts)
	ch := make(chan remote.Event, 3*len(hosts))
	now := time.Unix(100, 0)
	for i := range targets {
		ch <- remote.Event{Kind: remote.EventStart, Index: i, Target: &targets[i], Time: now}
		ch <- remote.Event{Kind: remote.EventOutput, Index: i, Target: &targets[i], Time: now, Stream: remote.Stdout, Data: []byte(out)}
		ch <- remote.Event{Kind: remote.EventDone, Index: i, Target: &targets[i], Time: now.Add(time.Second), Result: remote.Result{ExitCode: code}}
	}
	close(ch)
	var buf bytes.Buffer
	if _, err := Render(ch, targets, Options{Format: FormatJSON, Out: &buf, Err: &buf, Run: run}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMergeExec(t *testing.T) {
	a := execDoc(t, RunInfo{ID: "r", Command: "exec", Shard: "1/2"}, []string{"b", "d"}, "\xff\xfe bytes\n", 0)
	b := execDoc(t, RunInfo{ID: "r", Command: "exec", Shard: "2/2"}, []string{"a", "c"}, "text\n", 3)
	m, err := Merge([]MergeInput{{"a.json", a}, {"b.json", b}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum, err := m.RenderExec(Options{Format: FormatJSON, Out: &out, Err: &out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK != 2 || sum.Failed != 2 || sum.ExitBits() != ExitFailed {
		t.Errorf("summary ok=%d failed=%d bits=%d, want 2, 2, 1", sum.OK, sum.Failed, sum.ExitBits())
	}
	// Output that is not UTF-8 survives the round trip as base64, byte for byte.
	if !strings.Contains(out.String(), `"stdout_base64": "//4gYnl0ZXMK"`) {
		t.Errorf("bytes not kept:\n%s", out.String())
	}
	if i, j := strings.Index(out.String(), `"host": "a"`), strings.Index(out.String(), `"host": "b"`); i < 0 || j < i {
		t.Errorf("hosts not in name order:\n%s", out.String())
	}
	if !strings.Contains(out.String(), `"id": "r"`) || strings.Contains(out.String(), `"shard"`) {
		t.Errorf("merged run should be r, unsharded:\n%s", out.String())
	}
}

func TestMergeRefuses(t *testing.T) {
	s1 := execDoc(t, RunInfo{ID: "r", Command: "exec", Shard: "1/3"}, []string{"a", "b"}, "", 0)
	s2 := execDoc(t, RunInfo{ID: "r", Command: "exec", Shard: "2/3"}, []string{"b"}, "", 0)
	s2of2 := execDoc(t, RunInfo{ID: "r", Command: "exec", Shard: "2/2"}, []string{"c"}, "", 0)
	s3 := execDoc(t, RunInfo{ID: "r", Command: "exec", Shard: "3/3"}, []string{"c"}, "", 0)
	other := execDoc(t, RunInfo{ID: "x", Command: "exec", Shard: "3/3"}, []string{"c"}, "", 0)
	plain := execDoc(t, RunInfo{}, []string{"c"}, "", 0)
	for _, tc := range []struct {
		name string
		in   []MergeInput
		want []string
	}{
		{"duplicate host", []MergeInput{{"1.json", s1}, {"2.json", s2}, {"3.json", s3}}, []string{"host b in both 1.json and 2.json"}},
		{"missing shard", []MergeInput{{"1.json", s1}, {"3.json", s3}}, []string{"shard 2/3 missing"}},
		{"other N", []MergeInput{{"1.json", s1}, {"2.json", s2of2}, {"3.json", s3}}, []string{"2.json: shard 2/2, but 1.json is of 3 shards", "shard 2/3 missing"}},
		{"run ids", []MergeInput{{"1.json", s1}, {"2.json", s2}, {"x.json", other}}, []string{`different run ids: "r" in 1.json, 2.json; "x" in x.json`}},
		{"no run", []MergeInput{{"1.json", s1}, {"p.json", plain}}, []string{`p.json: no "run"`}},
		{"not JSON", []MergeInput{{"1.json", []byte("PLAY [x]")}}, []string{"1.json: not a JSON document"}},
	} {
		_, err := Merge(tc.in)
		var me *MergeError
		if !errors.As(err, &me) {
			t.Errorf("%s: err = %v, want a MergeError", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant %q", tc.name, err, w)
			}
		}
	}
}
