package report

import "time"

// TaskStatus is the outcome of one playbook task on one host.
type TaskStatus string

// Task statuses.
const (
	TaskOK          TaskStatus = "ok"
	TaskChanged     TaskStatus = "changed"
	TaskFailed      TaskStatus = "failed"
	TaskSkipped     TaskStatus = "skipped"
	TaskUnreachable TaskStatus = "unreachable"
	// TaskCancelled: the run was interrupted (Ctrl-C) while the task ran.
	TaskCancelled TaskStatus = "cancelled"
)

// TaskResult is one task (or one loop item of it) on one host. Every string
// in it has had secrets redacted.
type TaskResult struct {
	Host    string `json:"host"`
	Play    string `json:"play"`
	Task    string `json:"task"`
	Pos     string `json:"pos"`
	Action  string `json:"action"`
	Handler bool   `json:"handler,omitempty"`
	Item    any    `json:"item,omitempty"`
	// ItemText is the item as Ansible's callback prints it (Python's str
	// of the label: {'key': 'a'}); the text renderers fall back to Go's.
	ItemText string     `json:"-"`
	Status   TaskStatus `json:"status"`
	Ignored  bool       `json:"ignored,omitempty"` // failed, but ignore_errors
	TimedOut bool       `json:"timed_out,omitempty"`
	// ErrorClass is the class of the error that ended the task (a
	// remote.Class name: "unreachable" hosts' "refused", "config", ...),
	// "" when the task ran to an outcome.
	ErrorClass string        `json:"error_class,omitempty"`
	Msg        string        `json:"msg,omitempty"`
	RC         *int          `json:"rc,omitempty"`
	Stdout     string        `json:"stdout,omitempty"`
	Stderr     string        `json:"stderr,omitempty"`
	Attempts   int           `json:"attempts,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	// Diff is the result's diff in diff mode: {before, after,
	// before_header, after_header}, or a list of them.
	Diff any `json:"diff,omitempty"`
	// LoopItem marks the result of one item of a loop: shown, not counted
	// (the task counts once, in its LoopSummary).
	LoopItem bool `json:"loop_item,omitempty"`
	// LoopSummary is a loop task as a whole: counted in the recap, not
	// shown as a line of its own.
	LoopSummary bool `json:"loop_summary,omitempty"`
	// Rescued marks a failure a block's rescue handled.
	Rescued bool `json:"rescued,omitempty"`
	// Changed marks a failed task that changed the host (a command that
	// ran and failed): an ignored one counts as changed, as Ansible's.
	Changed bool `json:"changed,omitempty"`
	// Uncounted is shown but not counted in the recap: include_role, as
	// Ansible's.
	Uncounted bool `json:"uncounted,omitempty"`
}

// PlayHostStats is a host's line of the PLAY RECAP: how many tasks ended
// how, over every play.
type PlayHostStats struct {
	Host        string `json:"host"`
	OK          int    `json:"ok"`
	Changed     int    `json:"changed"`
	Failed      int    `json:"failed"`
	Skipped     int    `json:"skipped"`
	Unreachable int    `json:"unreachable"`
	Ignored     int    `json:"ignored"`
	Rescued     int    `json:"rescued"`
	TimedOut    bool   `json:"timed_out,omitempty"`
	Cancelled   bool   `json:"cancelled,omitempty"` // interrupted in the middle of a task
}

// Count adds a result to the stats. changed tasks count as ok too, as in
// Ansible's PLAY RECAP.
func (s *PlayHostStats) Count(r *TaskResult) {
	if r.LoopItem || r.Uncounted {
		return
	}
	switch r.Status {
	case TaskOK:
		s.OK++
	case TaskChanged:
		s.OK++
		s.Changed++
	case TaskFailed:
		switch {
		case r.Rescued:
			s.Rescued++
		case r.Ignored: // as Ansible's: an ignored failure counts as ok too
			s.Ignored++
			s.OK++
			if r.Changed {
				s.Changed++
			}
		default:
			s.Failed++
		}
	case TaskSkipped:
		s.Skipped++
	case TaskUnreachable:
		if r.Ignored { // ignore_unreachable: ok and ignored, as Ansible's
			s.Ignored++
			s.OK++
			break
		}
		s.Unreachable++
	case TaskCancelled:
		s.Cancelled = true
	}
	if r.TimedOut {
		s.TimedOut = true
	}
}

// Status is the host's status in the words of exec runs (StatusOK,
// StatusFailed, ...), so that run records and metrics mean the same
// everywhere.
func (s *PlayHostStats) Status() string {
	switch {
	case s.TimedOut:
		return StatusTimeout
	case s.Cancelled:
		return StatusCancelled
	case s.Unreachable > 0:
		return StatusUnreachable
	case s.Failed > 0:
		return StatusFailed
	}
	return StatusOK
}

// PlayReport is what happened in one play.
type PlayReport struct {
	Name     string     `json:"name"`
	Hosts    string     `json:"hosts"` // the pattern
	Batches  [][]string `json:"batches"`
	Strategy string     `json:"strategy"`
	// Stopped says why the play stopped before its last batch ("" when it
	// ran to the end); NotRun are the hosts it never reached.
	Stopped string   `json:"stopped,omitempty"`
	NotRun  []string `json:"not_run,omitempty"`
	Failed  int      `json:"failed_hosts"` // hosts that failed or were unreachable
}

// PlayRun is a whole playbook run: every play, every task result, the
// recap.
type PlayRun struct {
	Playbook string           `json:"playbook"`
	Check    bool             `json:"check_mode,omitempty"`
	Plays    []*PlayReport    `json:"plays"`
	Results  []*TaskResult    `json:"results"`
	Recap    []*PlayHostStats `json:"recap"`
	// Stopped says why the run stopped early ("" when every play ran).
	Stopped     string        `json:"stopped,omitempty"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
	// Run identifies the run (for report merge); nil when not known.
	Run *RunInfo `json:"run,omitempty"`
}

// Totals counts the hosts of the recap by their Status, each once, as exec
// counts its hosts: hosts with a (not ignored) failure, unreachable hosts
// and hosts that timed out (a host that timed out connecting is unreachable
// in its counts and timed out here, as exec says of it). They decide the
// exit code.
func (r *PlayRun) Totals() (failed, unreachable, timedOut int) {
	for _, s := range r.Recap {
		switch s.Status() {
		case StatusFailed:
			failed++
		case StatusUnreachable:
			unreachable++
		case StatusTimeout:
			timedOut++
		}
	}
	return failed, unreachable, timedOut
}

// succeeded reports whether every host succeeded and every play ran to
// its end.
func (r *PlayRun) succeeded() bool {
	if r.Stopped != "" || r.Interrupted {
		return false
	}
	for _, s := range r.Recap {
		if s.Status() != StatusOK {
			return false
		}
	}
	return true
}

// PlayEventKind says what a PlayEvent reports.
type PlayEventKind uint8

// Play event kinds, and the PlayEvent fields each sets.
const (
	PlayStart  PlayEventKind = iota + 1 // Play, About, Hosts
	BatchStart                          // Play, Batch (1-based), Batches, Hosts
	TaskStart                           // Play, Task, Handler (linear strategy: the task starts on the batch)
	TaskDone                            // Result
	PlayEnd                             // Play, Report
)

// PlayEvent is what a playbook run reports as it goes. Events come one at a
// time (never concurrently), in order.
type PlayEvent struct {
	Kind    PlayEventKind
	Play    string // the play's name
	About   string // PlayStart: its hosts and how they are cut, "(4 hosts, serial 2)"
	Task    string // the task's display name
	Handler bool   // the task is a handler
	Hosts   []string
	Batch   int
	Batches int
	Result  *TaskResult
	Report  *PlayReport
}
