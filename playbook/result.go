package playbook

import "time"

// Status is the outcome of one task on one host.
type Status string

const (
	StatusOK          Status = "ok"
	StatusChanged     Status = "changed"
	StatusFailed      Status = "failed"
	StatusSkipped     Status = "skipped"
	StatusUnreachable Status = "unreachable"
	// StatusCancelled: the run was interrupted (Ctrl-C) while the task ran.
	StatusCancelled Status = "cancelled"
)

// TaskResult is one task (or one loop item of it) on one host. Every string
// in it has had secrets redacted.
type TaskResult struct {
	Host     string `json:"host"`
	Play     string `json:"play"`
	Task     string `json:"task"`
	Pos      string `json:"pos"`
	Action   string `json:"action"`
	Handler  bool   `json:"handler,omitempty"`
	Item     any    `json:"item,omitempty"`
	Status   Status `json:"status"`
	Ignored  bool   `json:"ignored,omitempty"` // failed, but ignore_errors
	TimedOut bool   `json:"timed_out,omitempty"`
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
}

// HostStats is a host's line of the recap: how many tasks ended how, over
// every play.
type HostStats struct {
	Host        string `json:"host"`
	OK          int    `json:"ok"`
	Changed     int    `json:"changed"`
	Failed      int    `json:"failed"`
	Skipped     int    `json:"skipped"`
	Unreachable int    `json:"unreachable"`
	Ignored     int    `json:"ignored"`
	TimedOut    bool   `json:"timed_out,omitempty"`
	Cancelled   bool   `json:"cancelled,omitempty"` // interrupted in the middle of a task
}

// count adds a result to the stats. changed tasks count as ok too, as in
// Ansible's PLAY RECAP.
func (s *HostStats) count(r *TaskResult) {
	switch r.Status {
	case StatusOK:
		s.OK++
	case StatusChanged:
		s.OK++
		s.Changed++
	case StatusFailed:
		if r.Ignored {
			s.Ignored++
		} else {
			s.Failed++
		}
	case StatusSkipped:
		s.Skipped++
	case StatusUnreachable:
		s.Unreachable++
	case StatusCancelled:
		s.Cancelled = true
	}
	if r.TimedOut {
		s.TimedOut = true
	}
}

// PlayReport is what happened in one play.
type PlayReport struct {
	Name     string     `json:"name"`
	Hosts    string     `json:"hosts"` // the pattern
	Batches  [][]string `json:"batches"`
	Strategy Strategy   `json:"strategy"`
	// Stopped says why the play stopped before its last batch ("" when it
	// ran to the end); NotRun are the hosts it never reached.
	Stopped string   `json:"stopped,omitempty"`
	NotRun  []string `json:"not_run,omitempty"`
	Failed  int      `json:"failed_hosts"` // hosts that failed or were unreachable
}

// Report is a whole run: every play, every task result, the recap.
type Report struct {
	Playbook string        `json:"playbook"`
	Check    bool          `json:"check_mode,omitempty"`
	Plays    []*PlayReport `json:"plays"`
	Results  []*TaskResult `json:"results"`
	Recap    []*HostStats  `json:"recap"`
	// Stopped says why the run stopped early ("" when every play ran).
	Stopped     string        `json:"stopped,omitempty"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
}

// Totals sums the recap: hosts with a (not ignored) failure, unreachable
// hosts and hosts that timed out. They decide the exit code.
func (r *Report) Totals() (failed, unreachable, timedOut int) {
	for _, s := range r.Recap {
		if s.Failed > 0 {
			failed++
		}
		if s.Unreachable > 0 {
			unreachable++
		}
		if s.TimedOut {
			timedOut++
		}
	}
	return failed, unreachable, timedOut
}

// EventKind says what an Event reports.
type EventKind uint8

const (
	EventPlayStart  EventKind = iota + 1 // Play, Hosts
	EventBatchStart                      // Play, Batch (1-based), Batches, Hosts
	EventTaskStart                       // Play, Task (linear strategy: the task starts on the batch)
	EventResult                          // Result
	EventPlayEnd                         // Play, PlayReport
)

// Event is what the executor reports as the run goes. Events come one at a
// time (never concurrently), in order.
type Event struct {
	Kind    EventKind
	Play    *Play
	Task    *Task
	Hosts   []string
	Batch   int
	Batches int
	Result  *TaskResult
	Report  *PlayReport
}
