package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
)

// RunInfo says which run a JSON document comes from, so that report merge
// can tell the shards of one run from documents that must not be merged:
// the run's ID (shared by every shard of a sharded run: --run-id), the
// command, and the shard (K/N, "" when the run was not sharded).
type RunInfo struct {
	ID      string `json:"id"`
	Command string `json:"command"`
	Shard   string `json:"shard,omitempty"`
}

// MergeInput is one JSON document given to report merge: its file name
// (for errors) and its bytes.
type MergeInput struct {
	File string
	Data []byte
}

// MergeError lists every reason the documents cannot be merged, each
// naming its files. Nothing is merged when there is one.
type MergeError struct{ Problems []string }

func (e *MergeError) Error() string {
	return "report merge: " + strings.Join(e.Problems, "; ") +
		"; hint: give the -o json documents of every shard of one run (the same --run-id, --shard 1/N to N/N), each once"
}

// Merged is the documents of the shards of one run, checked and combined.
type Merged struct {
	Run   RunInfo // the run, Shard "" (the whole of it)
	exec  []mergedHost
	check []jsonCheckHost
	play  *PlayRun
}

// mergeDoc is what every document of exec, check and play has in common
// for merging: the run, and (exec, check) the hosts.
type mergeDoc struct {
	Run   *RunInfo          `json:"run"`
	Hosts []json.RawMessage `json:"hosts"`
	Recap []*PlayHostStats  `json:"recap"` // play
}

// MergeFiles reads the named files and merges them (see Merge).
func MergeFiles(names []string) (*Merged, error) {
	in := make([]MergeInput, len(names))
	for i, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		in[i] = MergeInput{File: name, Data: data}
	}
	return Merge(in)
}

// Merge reads the documents and checks that they are the shards of one
// run, each once, none missing, no host in two: else a *MergeError.
func Merge(inputs []MergeInput) (*Merged, error) {
	if len(inputs) == 0 {
		return nil, &MergeError{Problems: []string{"no document given"}}
	}
	var problems []string
	docs := make([]mergeDoc, len(inputs))
	for i, in := range inputs {
		if err := json.Unmarshal(in.Data, &docs[i]); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not a JSON document of remotectl: %v", in.File, err))
		} else if docs[i].Run == nil {
			problems = append(problems, fmt.Sprintf("%s: no \"run\": not a -o json document of exec, check or play (or written before remotectl knew --shard)", in.File))
		}
	}
	if len(problems) > 0 {
		return nil, &MergeError{Problems: problems}
	}
	problems = append(problems, differing(inputs, docs, "command", func(r *RunInfo) string { return r.Command })...)
	problems = append(problems, differing(inputs, docs, "run id", func(r *RunInfo) string { return r.ID })...)
	problems = append(problems, shardProblems(inputs, docs)...)
	m := &Merged{Run: RunInfo{ID: docs[0].Run.ID, Command: docs[0].Run.Command}}
	if len(problems) == 0 {
		problems = m.combine(inputs)
	}
	if len(problems) > 0 {
		return nil, &MergeError{Problems: problems}
	}
	return m, nil
}

// differing reports the documents whose value of what differs, grouped by
// value.
func differing(inputs []MergeInput, docs []mergeDoc, what string, value func(*RunInfo) string) []string {
	files := map[string][]string{}
	var values []string
	for i, d := range docs {
		v := value(d.Run)
		if files[v] == nil {
			values = append(values, v)
		}
		files[v] = append(files[v], inputs[i].File)
	}
	if len(values) < 2 {
		return nil
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%q in %s", v, strings.Join(files[v], ", "))
	}
	return []string{fmt.Sprintf("different %ss: %s", what, strings.Join(parts, "; "))}
}

// shardProblems checks that the documents are shards 1/N to N/N, each once
// (or one unsharded document).
func shardProblems(inputs []MergeInput, docs []mergeDoc) []string {
	var problems []string
	byK := map[int][]string{}
	n := 0
	for i, d := range docs {
		if d.Run.Shard == "" {
			if len(docs) > 1 {
				problems = append(problems, fmt.Sprintf("%s: not a shard (run without --shard): nothing to merge it with", inputs[i].File))
			}
			continue
		}
		var k, sn int
		_, err := fmt.Sscanf(d.Run.Shard, "%d/%d", &k, &sn)
		switch {
		case err != nil || k < 1 || k > sn:
			problems = append(problems, fmt.Sprintf("%s: shard %q is not K/N", inputs[i].File, d.Run.Shard))
			continue
		case n == 0:
			n = sn
		case sn != n:
			problems = append(problems, fmt.Sprintf("%s: shard %s, but %s is of %d shards", inputs[i].File, d.Run.Shard, inputs[0].File, n))
			continue
		}
		byK[k] = append(byK[k], inputs[i].File)
	}
	for k := 1; k <= n; k++ {
		switch files := byK[k]; {
		case len(files) == 0:
			problems = append(problems, fmt.Sprintf("shard %d/%d missing", k, n))
		case len(files) > 1:
			problems = append(problems, fmt.Sprintf("shard %d/%d given %d times: %s", k, n, len(files), strings.Join(files, ", ")))
		}
	}
	return problems
}

// combine decodes the hosts of each document by command and puts them
// together; a host in two documents is a problem.
func (m *Merged) combine(inputs []MergeInput) []string {
	var problems []string
	seen := map[string]string{} // host → file
	hostIn := func(file, host string) {
		if first, ok := seen[host]; ok {
			problems = append(problems, fmt.Sprintf("host %s in both %s and %s", host, first, file))
			return
		}
		seen[host] = file
	}
	var runs []*PlayRun
	for _, in := range inputs {
		var err error
		switch m.Run.Command {
		case "exec", "copy", "fetch":
			err = m.addExec(in, hostIn)
		case "check":
			err = m.addCheck(in, hostIn)
		case "play":
			var run PlayRun
			if err = json.Unmarshal(in.Data, &run); err == nil {
				for _, h := range run.Recap {
					hostIn(in.File, h.Host)
				}
				runs = append(runs, &run)
			}
		default:
			return []string{fmt.Sprintf("%s: command %q: report merge knows exec, check and play documents", in.File, m.Run.Command)}
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", in.File, err))
		}
	}
	if len(problems) == 0 && runs != nil {
		var err error
		if m.play, err = mergePlays(inputs, runs); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return problems
}

// mergedHost is one host of an exec document, with its output.
type mergedHost struct {
	jsonHost
	Stdout       *string `json:"stdout"`
	Stderr       *string `json:"stderr"`
	StdoutBase64 []byte  `json:"stdout_base64"`
	StderrBase64 []byte  `json:"stderr_base64"`
}

func (m *Merged) addExec(in MergeInput, hostIn func(file, host string)) error {
	hosts, err := mergeHosts(in, hostIn, func(h mergedHost) string { return h.Host })
	m.exec = append(m.exec, hosts...)
	return err
}

func (m *Merged) addCheck(in MergeInput, hostIn func(file, host string)) error {
	hosts, err := mergeHosts(in, hostIn, func(h jsonCheckHost) string { return h.Host })
	m.check = append(m.check, hosts...)
	return err
}

// mergeHosts reads the "hosts" of one shard's document, telling hostIn
// each host's name (for duplicates across files).
func mergeHosts[H any](in MergeInput, hostIn func(file, host string), name func(H) string) ([]H, error) {
	var doc struct {
		Hosts []H `json:"hosts"`
	}
	if err := json.Unmarshal(in.Data, &doc); err != nil {
		return nil, err
	}
	for _, h := range doc.Hosts {
		hostIn(in.File, name(h))
	}
	return doc.Hosts, nil
}

// hostError rebuilds a host's error from its JSON: the class, the message
// after it, the hint.
func hostError(class, msg, hint string) error {
	if class == "" {
		return nil
	}
	c := remote.ClassOther
	for k := remote.ClassNone; k <= remote.ClassOther; k++ {
		if k.String() == class {
			c = k
		}
	}
	body := strings.TrimPrefix(strings.TrimPrefix(msg, class), ": ")
	var err error
	if body != "" {
		err = errors.New(body)
	}
	return &remote.Error{Class: c, Err: err, Hint: hint}
}

// replay sends, for each host, the events of a run that gave its result:
// start (unless it never started), output, done; a host's duration is kept.
func replay(n int, event func(i int, start time.Time) []remote.Event) <-chan remote.Event {
	ch := make(chan remote.Event)
	base := time.Unix(0, 0).UTC()
	go func() {
		defer close(ch)
		for i := range n {
			for _, ev := range event(i, base) {
				ch <- ev
			}
		}
	}()
	return ch
}

func mergedTargets(names []string) []remote.Target {
	out := make([]remote.Target, len(names))
	for i, n := range names {
		out[i] = remote.Target{Name: n}
	}
	return out
}

// RenderExec renders a merged exec (copy, fetch) run in any exec format,
// hosts in name order, and returns its summary.
func (m *Merged) RenderExec(opts Options) (*Summary, error) {
	hosts := slices.Clone(m.exec)
	sort.SliceStable(hosts, func(i, j int) bool { return hosts[i].Host < hosts[j].Host })
	names := make([]string, len(hosts))
	for i := range hosts {
		names[i] = hosts[i].Host
	}
	targets := mergedTargets(names)
	opts.Run = m.Run
	return Render(replay(len(hosts), func(i int, t0 time.Time) []remote.Event {
		h, t := &hosts[i], &targets[i]
		var evs []remote.Event
		if !h.NotStarted {
			evs = append(evs, remote.Event{Kind: remote.EventStart, Index: i, Target: t, Time: t0})
		}
		for _, o := range []struct {
			s    remote.Stream
			text *string
			raw  []byte
		}{{remote.Stdout, h.Stdout, h.StdoutBase64}, {remote.Stderr, h.Stderr, h.StderrBase64}} {
			data := o.raw
			if o.text != nil {
				data = []byte(*o.text)
			}
			if len(data) > 0 {
				evs = append(evs, remote.Event{Kind: remote.EventOutput, Index: i, Target: t, Time: t0, Stream: o.s, Data: data})
			}
		}
		done := remote.Event{Kind: remote.EventDone, Index: i, Target: t, Time: t0.Add(time.Duration(h.DurationMS) * time.Millisecond)}
		if h.ExitCode != nil {
			done.Result.ExitCode = *h.ExitCode
		}
		done.Result.Signal = h.Signal
		done.Err = hostError(h.ErrorClass, h.Error, h.Hint)
		if h.NotStarted {
			done.Err = &remote.Error{Class: remote.ClassCancelled, Op: remote.OpStart}
		}
		return append(evs, done)
	}), targets, opts)
}

// RenderChecks renders a merged check run in any check format, hosts in
// name order, and returns its summary.
func (m *Merged) RenderChecks(opts CheckOptions) (*CheckSummary, error) {
	hosts := slices.Clone(m.check)
	sort.SliceStable(hosts, func(i, j int) bool { return hosts[i].Host < hosts[j].Host })
	names := make([]string, len(hosts))
	for i := range hosts {
		names[i] = hosts[i].Host
	}
	targets := mergedTargets(names)
	opts.Run = m.Run
	return RenderChecks(replay(len(hosts), func(i int, t0 time.Time) []remote.Event {
		h, t := &hosts[i], &targets[i]
		done := remote.Event{Kind: remote.EventDone, Index: i, Target: t, Time: t0.Add(time.Duration(h.DurationMS) * time.Millisecond)}
		done.Err = hostError(h.ErrorClass, h.Error, h.Hint)
		if h.NotStarted {
			return []remote.Event{{Kind: remote.EventDone, Index: i, Target: t, Time: t0, Err: &remote.Error{Class: remote.ClassCancelled, Op: remote.OpStart}}}
		}
		if done.Err == nil {
			done.Result.Detail = slices.Clone(h.Results)
			if done.Result.Detail.([]checks.Result) == nil {
				done.Result.Detail = []checks.Result{}
			}
		}
		return []remote.Event{{Kind: remote.EventStart, Index: i, Target: t, Time: t0}, done}
	}), targets, opts)
}

// mergePlays puts the shards of a playbook run together: the same plays
// (by position and name), their batches, results and recaps joined.
func mergePlays(inputs []MergeInput, runs []*PlayRun) (*PlayRun, error) {
	out := &PlayRun{Playbook: runs[0].Playbook, Check: runs[0].Check}
	for i, r := range runs {
		if r.Playbook != out.Playbook || len(r.Plays) != len(runs[0].Plays) {
			return nil, fmt.Errorf("%s and %s are runs of different playbooks (%s, %s)", inputs[0].File, inputs[i].File, out.Playbook, r.Playbook)
		}
		out.Interrupted = out.Interrupted || r.Interrupted
		out.Duration = max(out.Duration, r.Duration)
		if out.Stopped == "" {
			out.Stopped = r.Stopped
		}
		out.Recap = append(out.Recap, r.Recap...)
	}
	for p := range runs[0].Plays {
		merged := *runs[0].Plays[p]
		merged.Batches, merged.NotRun, merged.Failed = nil, nil, 0
		for i, r := range runs {
			pl := r.Plays[p]
			if pl.Name != merged.Name || pl.Hosts != merged.Hosts {
				return nil, fmt.Errorf("%s and %s are runs of different playbooks (play %d: %q, %q)", inputs[0].File, inputs[i].File, p+1, merged.Name, pl.Name)
			}
			merged.Batches = append(merged.Batches, pl.Batches...)
			merged.NotRun = append(merged.NotRun, pl.NotRun...)
			merged.Failed += pl.Failed
			if merged.Stopped == "" {
				merged.Stopped = pl.Stopped
			}
		}
		out.Plays = append(out.Plays, &merged)
	}
	sort.SliceStable(out.Recap, func(i, j int) bool { return out.Recap[i].Host < out.Recap[j].Host })
	out.Results = mergeResults(runs)
	return out, nil
}

// mergeResults orders the results of the shards by task, in the order the
// tasks ran (a task first seen in a later shard comes after the task that
// preceded it there), each task's results in shard order.
func mergeResults(runs []*PlayRun) []*TaskResult {
	key := func(t *TaskResult) string {
		return t.Play + "\x00" + t.Pos + "\x00" + t.Task + "\x00" + strconv.FormatBool(t.Handler)
	}
	var order []string
	byKey := map[string][]*TaskResult{}
	for _, r := range runs {
		at := 0 // where the next new task of this shard goes
		for _, t := range r.Results {
			k := key(t)
			if _, ok := byKey[k]; !ok {
				order = slices.Insert(order, at, k)
				byKey[k] = nil
			}
			at = slices.Index(order, k) + 1
			byKey[k] = append(byKey[k], t)
		}
	}
	var out []*TaskResult
	for _, k := range order {
		out = append(out, byKey[k]...)
	}
	return out
}

// RenderPlay renders a merged playbook run in any play format, replaying
// its events (each play, its tasks and their results), and returns it.
func (m *Merged) RenderPlay(opts PlayOptions) (*PlayRun, error) {
	r, err := NewPlayRenderer(opts)
	if err != nil {
		return nil, err
	}
	run := m.play
	run.Run = &m.Run
	next := 0
	for _, pl := range run.Plays {
		var hosts []string
		for _, b := range pl.Batches {
			hosts = append(hosts, b...)
		}
		r.Observe(PlayEvent{Kind: PlayStart, Play: pl.Name, About: fmt.Sprintf("(%d hosts, shards merged)", len(hosts)), Hosts: hosts})
		last := ""
		for ; next < len(run.Results) && run.Results[next].Play == pl.Name; next++ {
			t := run.Results[next]
			if k := t.Pos + "\x00" + t.Task; k != last {
				r.Observe(PlayEvent{Kind: TaskStart, Play: pl.Name, Task: t.Task, Handler: t.Handler})
				last = k
			}
			r.Observe(PlayEvent{Kind: TaskDone, Play: pl.Name, Result: t})
		}
		r.Observe(PlayEvent{Kind: PlayEnd, Play: pl.Name, Report: pl})
	}
	return run, r.Finish(run)
}

// CheckFormat reports whether format is one of the -o formats of the
// merged run's command.
func (m *Merged) CheckFormat(format string) error {
	switch m.Run.Command {
	case "check":
		_, err := lookupFormat(checkFormats(), format, " for check results")
		return err
	case "play":
		_, err := lookupFormat(playFormats(), format, " for play results")
		return err
	}
	_, err := lookupFormat(execFormats(), format, "")
	return err
}

// Write renders the merged run in format (one of its command's) to out
// (exec's recap to errOut) and returns the exit code the whole run would
// have had (that command's: SummaryExitCode, CheckExitCode,
// PlayRunExitCode), and the error writing it, if any.
func (m *Merged) Write(format string, out, errOut io.Writer, color bool) (int, error) {
	switch m.Run.Command {
	case "check":
		s, err := m.RenderChecks(CheckOptions{Format: format, Out: out, Color: color})
		if s == nil {
			return ExitUsage, err
		}
		return CheckExitCode(s, format == FormatNagios, false), err
	case "play":
		r, err := m.RenderPlay(PlayOptions{Format: format, Out: out, Color: color})
		if r == nil {
			return ExitUsage, err
		}
		return PlayRunExitCode(r, false), err
	}
	s, err := m.RenderExec(Options{Format: format, Out: out, Err: errOut, Color: color})
	if s == nil {
		return ExitUsage, err
	}
	return SummaryExitCode(s, false), err
}
