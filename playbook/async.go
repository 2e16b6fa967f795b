package playbook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/playbook/module"
	"github.com/remotectl/remotectl/remote"
)

// Tasks with async: run their module's remote command in the background on
// the host, as Ansible's async_wrapper does, without Python: a POSIX sh
// supervisor (detached with setsid, else nohup) runs the command in its own
// process group, writes Ansible's job file (~/.ansible_async/JID, JSON:
// started, finished, ansible_job_id, then rc) with the command's output
// beside it (JID.stdout, JID.stderr), and kills the group once async
// seconds are used up, when Ansible's watchdog would (it looks every 5
// seconds), writing Ansible's {"msg": "Timeout exceeded", "failed": true}.
//
// poll > 0: the executor polls the job file until the job is done, and the
// module decides its result from the output as if the command had run in
// the foreground; a job not done within the time Ansible gives it fails
// with Ansible's "async task did not complete within the requested time".
// Every module Ansible runs asynchronously can run so, each of its remote
// commands being one job.
//
// poll: 0 (fire and forget) returns ansible_job_id, started: 1, finished: 0
// at once; async_status reads the job later. Only command and shell may:
// they end in one remote command, whose output is the whole result. The
// module's run waits, parked, for that output, which async_status hands it
// once the job is done, so the result is exactly the module's.

// defaultPoll is Ansible's DEFAULT_POLL_INTERVAL.
const defaultPoll = 15

// asyncUnsupported are the actions Ansible refuses with async ("async is not
// supported for this task."): their action plugins do not support it.
var asyncUnsupported = map[string]bool{"raw": true, "copy": true, "template": true, "fetch": true, "unarchive": true,
	"assemble": true, "script": true}

// fireAndForget are the modules remotectl runs with poll: 0.
var fireAndForget = map[string]bool{"command": true, "shell": true}

// asyncKeyword reads async: or poll: — a number or a template.
func (p *parser) asyncKeyword(t *Task, k, v *yaml.Node) {
	var val any
	if v.Kind == yaml.ScalarNode && jinja.IsTemplate(v.Value) {
		p.checkTemplates(v)
		txt := p.textNode(v, k.Value)
		val = &txt
	} else {
		val = p.integer(v, k.Value)
	}
	if k.Value == "async" {
		t.Async = val
	} else {
		t.Poll = val
	}
}

// checkAsync refuses, before connecting, a fire-and-forget task remotectl
// cannot run in the background.
func (p *parser) checkAsync(t *Task) {
	ma, ok := t.Action.(*ModuleAction)
	if !ok || t.Async == nil || asyncUnsupported[ma.Module.Name] {
		return
	}
	if n, ok := t.Async.(int); !ok || n <= 0 {
		return
	}
	if n, ok := t.Poll.(int); ok && n == 0 && !fireAndForget[ma.Module.Name] {
		p.errorfAt(t.Pos, "use poll: N (seconds) to wait for it, or run it with command/shell",
			"async with poll: 0 runs %s in the background: remotectl does that for command and shell only (%s decides on the controller between its remote commands)",
			ma.Key, ma.Module.Name)
	}
}

// asyncSpec is a task's async and poll on a host.
type asyncSpec struct {
	limit int    // seconds
	poll  int    // seconds; 0: fire and forget
	dir   string // the async directory, as the host's shell expands it
}

// asyncOf evaluates the task's async and poll with the host's variables:
// nil when the task is not async, an outcome when it cannot run so.
func (r *actionRun) asyncOf() (*asyncSpec, *Outcome) {
	if r.task.Async == nil {
		return nil, nil
	}
	limit, err := keywordInt(r.task.Async, r.vars)
	if err != nil {
		return nil, failed("async: %v", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	spec := &asyncSpec{limit: limit, poll: defaultPoll}
	if r.task.Poll != nil {
		if spec.poll, err = keywordInt(r.task.Poll, r.vars); err != nil {
			return nil, failed("poll: %v", err)
		}
	}
	spec.dir = r.asyncDir()
	return spec, nil
}

// asyncDir is the async directory of the task: with become, a leading ~
// is the become user's home, as Ansible expands it.
func (r *actionRun) asyncDir() string {
	dir := asyncDir(r.task.eng, r.vars)
	if become, user := r.become(); become && (dir == "~" || strings.HasPrefix(dir, "~/")) {
		if user == "" {
			user = "root"
		}
		if user != r.target.User {
			dir = "~" + user + dir[1:]
		}
	}
	return dir
}

// asyncDir is where jobs keep their files on the host, as Ansible's
// async_dir: the variable ansible_async_dir, else ANSIBLE_ASYNC_DIR, else
// ~/.ansible_async.
func asyncDir(eng *jinja.Engine, vars map[string]any) string {
	if d, ok := vars["ansible_async_dir"]; ok {
		if v, err := templateArgs(eng, d, vars); err == nil {
			return jinja.String(v)
		}
	}
	if d := os.Getenv("ANSIBLE_ASYNC_DIR"); d != "" {
		return d
	}
	return "~/.ansible_async"
}

// keywordInt is an integer keyword's value: a number, or a template
// rendering one.
func keywordInt(v any, vars map[string]any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case *Text:
		s, err := x.render(vars)
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", s)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

// asyncRefusal is Ansible's failure of an async task its action cannot run
// so, nil when it can (or the task is not async).
func asyncRefusal(run *actionRun) *Outcome {
	spec, out := run.asyncOf()
	switch {
	case out != nil:
		return out
	case spec == nil:
		return nil
	case !supportsAsync(run.task.Action):
		return failed("async is not supported for this task.")
	case run.check:
		return failed("check mode and async cannot be used on same task.")
	case run.windows():
		return failed("async: remotectl runs background jobs on POSIX hosts only")
	case spec.poll == 0:
		if ma := run.task.Action.(*ModuleAction); !fireAndForget[ma.Module.Name] {
			return failed("async with poll: 0 runs %s in the background: remotectl does that for command and shell only", ma.Key)
		}
	}
	return nil
}

// supportsAsync reports whether Ansible runs the action asynchronously: the
// modules run by its normal, command, package, service and uri action
// plugins.
func supportsAsync(a Action) bool {
	ma, ok := a.(*ModuleAction)
	return ok && !asyncUnsupported[ma.Module.Name]
}

// runAsync runs a module's call with async: in the background on the host.
func (a *ModuleAction) runAsync(ctx context.Context, r *actionRun, call *module.Call, spec *asyncSpec) (*Outcome, error) {
	jh := &jobHost{Host: call.Host, spec: spec, launched: make(chan struct{})}
	call.Host = jh
	if spec.poll > 0 {
		res, err := a.Module.Run(ctx, call)
		var timeout *asyncTimeout
		var killed *asyncKilled
		switch {
		case errors.As(err, &timeout):
			return asyncTimedOut(timeout, spec), nil
		case errors.As(err, &killed):
			res := module.Result(killed.status)
			res["ansible_job_id"], res["results_file"], res["finished"] = killed.job.jid, killed.job.file, 1
			return outcomeOf(res), nil
		case errors.Is(err, errJobLaunch):
			return failed("%v", err), nil
		case err != nil:
			return nil, err
		}
		if jh.job != nil {
			jh.cleanup(context.WithoutCancel(ctx))
			res["ansible_job_id"], res["results_file"], res["started"], res["finished"] = jh.job.jid, jh.job.file, 1, 1
		}
		return outcomeOf(res), nil
	}
	// Fire and forget: the module's run stays parked at its command until
	// async_status hands it the job's output.
	job := &asyncJob{output: make(chan module.Output, 1), result: make(chan moduleDone, 1)}
	jh.park = job
	go func() {
		res, err := a.Module.Run(context.WithoutCancel(ctx), call)
		job.result <- moduleDone{res: res, err: err}
	}()
	select {
	case <-jh.launched:
	case d := <-job.result: // it never reached its command (bad arguments)
		if d.err != nil {
			return nil, d.err
		}
		return outcomeOf(d.res), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if jh.err != nil {
		return failed("%v", jh.err), nil
	}
	job.jid, job.file = jh.job.jid, jh.job.file
	r.host.br.e.addJob(r.host.host.Name, job)
	res := module.Result{"ansible_job_id": job.jid, "results_file": job.file, "started": 1, "finished": 0, "changed": true, "failed": 0}
	return outcomeOf(res), nil
}

// asyncTimedOut is Ansible's failure of a polled job not done in time.
func asyncTimedOut(t *asyncTimeout, spec *asyncSpec) *Outcome {
	res := module.Result{"failed": true, "changed": false,
		"msg": fmt.Sprintf("async task did not complete within the requested time - %ds", spec.limit),
		"async_result": map[string]any{"ansible_job_id": t.job.jid, "finished": 0, "results_file": t.job.file, "started": 1,
			"stdout": "", "stderr": "", "stdout_lines": []any{}, "stderr_lines": []any{}}}
	return outcomeOf(res)
}

// moduleDone is what a parked module's run returned.
type moduleDone struct {
	res module.Result
	err error
}

// asyncJob is a fire-and-forget job of this run, its module's run parked
// until the job's output is known.
type asyncJob struct {
	jid, file string
	output    chan module.Output
	result    chan moduleDone
	done      *moduleDone // the module's result, once delivered
}

// addJob records a fire-and-forget job of a host.
func (e *executor) addJob(host string, job *asyncJob) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.jobs == nil {
		e.jobs = map[string]*asyncJob{}
	}
	e.jobs[host+"\x00"+job.jid] = job
}

// job returns a fire-and-forget job of a host, nil when this run did not
// start it.
func (e *executor) job(host, jid string) *asyncJob {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.jobs[host+"\x00"+jid]
}

// abandonJobs ends the parked runs of the jobs nobody asked about.
func (e *executor) abandonJobs() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, j := range e.jobs {
		if j.done == nil {
			close(j.output)
		}
	}
	e.jobs = nil
}

// jobRef is a launched job: its id and its job file.
type jobRef struct {
	jid, file string
}

// asyncKilled is a polled job its watchdog killed: the job file's result
// is the task's, as Ansible's.
type asyncKilled struct {
	job    *jobRef
	status map[string]any
}

func (k *asyncKilled) Error() string { return "async job " + k.job.jid + ": Timeout exceeded" }

// asyncTimeout is a polled job that did not finish in time.
type asyncTimeout struct{ job *jobRef }

func (t *asyncTimeout) Error() string { return "async job " + t.job.jid + " did not complete in time" }

var errJobLaunch = errors.New("async: cannot start the job")

// jobHost is the module.Host of an async task: each command runs as a
// background job; polled (poll > 0) until it ends, or parked (poll: 0).
type jobHost struct {
	module.Host
	spec     *asyncSpec
	job      *jobRef // the last job launched
	park     *asyncJob
	launched chan struct{} // closed once the parked job's command is launched
	err      error         // why the parked job could not be launched
	deadline time.Time
}

func (j *jobHost) Run(ctx context.Context, c module.Command) (module.Output, error) {
	if j.park != nil && j.job != nil {
		return module.Output{}, fmt.Errorf("async: %s runs more than one command", j.Host.Name())
	}
	job, err := launchJob(ctx, j.Host, c, j.spec)
	if j.park != nil {
		j.job, j.err = job, err
		close(j.launched)
		if err != nil {
			return module.Output{}, err
		}
		out, ok := <-j.park.output
		if !ok {
			return module.Output{}, errors.New("async: the run ended before the job was read")
		}
		return out, nil
	}
	if err != nil {
		return module.Output{}, err
	}
	j.job = job
	if j.deadline.IsZero() { // Ansible polls ceil(async/poll) times, poll seconds apart
		polls := (j.spec.limit + j.spec.poll - 1) / j.spec.poll
		j.deadline = time.Now().Add(time.Duration(polls*j.spec.poll) * time.Second)
	}
	return j.wait(ctx, job)
}

// wait polls a job until it is done: soon at first (a quick command), then
// every poll seconds, until the deadline.
func (j *jobHost) wait(ctx context.Context, job *jobRef) (module.Output, error) {
	interval := 100 * time.Millisecond
	for {
		wait := min(interval, time.Until(j.deadline))
		if wait > 0 && !remote.Sleep(ctx, wait) {
			return module.Output{}, ctx.Err()
		}
		st, err := readJob(ctx, j.Host, job.file)
		if err != nil {
			return module.Output{}, err
		}
		if st.timedOut() {
			return module.Output{}, &asyncKilled{job: job, status: st.status}
		}
		if st.finished() {
			return st.output(), nil
		}
		if !time.Now().Before(j.deadline) {
			return module.Output{}, &asyncTimeout{job: job}
		}
		interval = min(2*interval, time.Duration(j.spec.poll)*time.Second)
	}
}

// cleanup removes the job's files, as Ansible does once a polled job ends.
func (j *jobHost) cleanup(ctx context.Context) {
	_, _ = j.Host.Run(ctx, module.Command{Script: cleanupScript(j.job.file)})
}

func cleanupScript(file string) string {
	f := module.Quote(file)
	return "rm -f " + f + " " + f + ".stdout " + f + ".stderr " + f + ".sh " + f + ".in " + f + ".tmp " + f + ".timeout"
}

// watchdogAfter is when Ansible's async_wrapper kills a job of async
// limit seconds: it looks every 5 seconds, the first time after 5, and
// kills once the limit is used up.
func watchdogAfter(limit int) int { return 5 * (1 + (limit+4)/5) }

// jobSupervisor runs the job ($1: job file, $2: jid, $3: time limit) in its
// own process group, kills the group after the limit (Ansible's
// async_wrapper: "Timeout exceeded"), and writes the job file when done.
const jobSupervisor = `f=$1 j=$2 limit=$3
now() { date '+%Y-%m-%d %H:%M:%S.%N'; }
start=$(now)
if command -v setsid >/dev/null 2>&1; then
  setsid sh "$f.sh" <"$f.in" >"$f.stdout" 2>"$f.stderr" &
else
  sh "$f.sh" <"$f.in" >"$f.stdout" 2>"$f.stderr" &
fi
c=$!
(
  trap 'kill $s 2>/dev/null; exit 0' TERM
  sleep "$limit" & s=$!
  wait $s
  : >"$f.timeout"
  printf '{"msg": "Timeout exceeded", "failed": true, "child_pid": %s}' "$c" >"$f.tmp" && mv -f "$f.tmp" "$f"
  kill -s KILL -- -"$c" 2>/dev/null || kill -s KILL "$c" 2>/dev/null
) &
w=$!
wait "$c"; rc=$?
kill "$w" 2>/dev/null; wait "$w" 2>/dev/null
if [ ! -e "$f.timeout" ]; then
  printf '{"started": 1, "finished": 1, "ansible_job_id": "%s", "rc": %d, "start": "%s", "end": "%s"}' "$j" "$rc" "$start" "$(now)" >"$f.tmp" && mv -f "$f.tmp" "$f"
fi
rm -f "$f.sh" "$f.in" "$f.timeout"
`

// launchJob starts a command as a background job on the host and returns
// its id and job file.
func launchJob(ctx context.Context, h module.Host, c module.Command, spec *asyncSpec) (*jobRef, error) {
	tok := "rctl" + module.RandomSuffix()
	body := c.Script
	if len(c.Argv) > 0 {
		q := make([]string, len(c.Argv))
		for i, a := range c.Argv {
			q[i] = module.Quote(a)
		}
		body = "exec " + strings.Join(q, " ")
	}
	if c.Dir != "" {
		body = "cd " + module.Quote(c.Dir) + " || exit 1\n" + body
	}
	stdin := ": >\"$f.in\""
	if len(c.Stdin) > 0 {
		stdin = "cat >\"$f.in\""
	}
	script := strings.Join([]string{
		"d=" + shellDir(spec.dir),
		"mkdir -p \"$d\" || { echo " + tok + " mkdir \"$d\"; exit 0; }",
		fmt.Sprintf("j=j%012d.$$", rand.Int64N(1e12)),
		"f=\"$d/$j\"",
		"umask 077",
		"printf '%s' " + module.Quote(body) + " >\"$f.sh\"",
		stdin,
		"umask 022",
		"printf '{\"started\": 1, \"finished\": 0, \"ansible_job_id\": \"%s\"}' \"$j\" >\"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" || { echo " + tok + " write \"$f\"; exit 0; }",
		"if command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=nohup; fi",
		"$detach sh -c " + module.Quote(jobSupervisor) + " rctl-async \"$f\" \"$j\" " + strconv.Itoa(watchdogAfter(spec.limit)) + " </dev/null >/dev/null 2>&1 &",
		"echo " + tok + " job \"$j\" \"$f\"",
	}, "\n")
	out, err := h.Run(ctx, module.Command{Script: script, Stdin: c.Stdin, Env: c.Env, NoBecome: c.NoBecome, UserCommand: true})
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(out.Stdout, "\n") {
		fields := strings.SplitN(line, " ", 3)
		if len(fields) < 3 || fields[0] != tok {
			continue
		}
		switch fields[1] {
		case "job":
			jid, file, _ := strings.Cut(fields[2], " ")
			return &jobRef{jid: jid, file: file}, nil
		case "mkdir":
			return nil, fmt.Errorf("%w: could not create directory: %s", errJobLaunch, fields[2])
		case "write":
			return nil, fmt.Errorf("%w: could not write %s", errJobLaunch, fields[2])
		}
	}
	return nil, fmt.Errorf("%w: %s", errJobLaunch, strings.TrimSpace(out.Stderr+" "+out.Stdout))
}

// shellDir writes the async directory for the host's shell: a leading ~
// expanded by it (the remote user's home, or the become user's), the rest
// quoted.
func shellDir(dir string) string {
	if !strings.HasPrefix(dir, "~") {
		return module.Quote(dir)
	}
	home, rest, _ := strings.Cut(dir, "/")
	if strings.Trim(home[1:], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != "" {
		return module.Quote(dir) // not a user name: as written
	}
	if rest == "" {
		return home
	}
	return home + "/" + module.Quote(rest)
}

// jobState is what a job file and its output files hold.
type jobState struct {
	missing bool
	status  map[string]any // the job file's JSON
	stdout  string
	stderr  string
}

// finished reports whether the job is done: its file says so, or is
// another result (the watchdog's timeout), as Ansible's async_status reads
// it.
func (s *jobState) finished() bool {
	if s.missing {
		return false
	}
	if _, started := s.status["started"]; !started {
		return true
	}
	return jsonInt(s.status["finished"]) == 1
}

// timedOut reports whether the watchdog killed the job.
func (s *jobState) timedOut() bool {
	_, started := s.status["started"]
	return !s.missing && !started
}

// output is the command's output, as the module reads it.
func (s *jobState) output() module.Output {
	rc := jsonInt(s.status["rc"])
	if s.timedOut() {
		rc = -9
	}
	return module.Output{Stdout: s.stdout, Stderr: s.stderr, RC: rc}
}

func jsonInt(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case int:
		return x
	}
	return 0
}

// readJob reads a job's file, and its output once it is done, in one
// command.
func readJob(ctx context.Context, h module.Host, file string) (*jobState, error) {
	tok := "rctl" + module.RandomSuffix()
	script := "f=" + module.Quote(file) + `
if [ ! -e "$f" ]; then echo ` + tok + ` missing; exit 0; fi
s=$(cat "$f")
printf '%s status\n%s\n' ` + tok + ` "$s"
case $s in *'"finished": 0'*) exit 0;; esac
for x in stdout stderr; do
  if [ -e "$f.$x" ]; then printf '%s %s %s\n' ` + tok + ` $x "$(wc -c <"$f.$x")"; cat "$f.$x"; fi
done`
	out, err := h.Run(ctx, module.Command{Script: script})
	if err != nil {
		return nil, err
	}
	return parseJobState(tok, out.Stdout)
}

// parseJobState reads readJob's output.
func parseJobState(tok, text string) (*jobState, error) {
	st := &jobState{}
	for text != "" {
		i := strings.Index(text, tok+" ")
		if i < 0 {
			break
		}
		text = text[i+len(tok)+1:]
		head, rest, _ := strings.Cut(text, "\n")
		fields := strings.Fields(head)
		if len(fields) == 0 {
			break
		}
		switch fields[0] {
		case "missing":
			st.missing = true
			return st, nil
		case "status":
			line, after, _ := strings.Cut(rest, "\n")
			if err := json.Unmarshal([]byte(line), &st.status); err != nil {
				return nil, fmt.Errorf("Could not parse job output: %s", line)
			}
			text = after
		case "stdout", "stderr":
			n := 0
			if len(fields) > 1 {
				n, _ = strconv.Atoi(fields[1])
			}
			n = min(n, len(rest))
			if fields[0] == "stdout" {
				st.stdout = rest[:n]
			} else {
				st.stderr = rest[:n]
			}
			text = rest[n:]
		default:
			text = rest
		}
	}
	if st.status == nil {
		return nil, errors.New("async: the job file could not be read")
	}
	return st, nil
}
