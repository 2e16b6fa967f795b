package playbook

import (
	"fmt"
	"time"
)

// Playbook is a parsed, validated playbook: plays run in order.
type Playbook struct {
	File  string
	Dir   string // directory relative paths (vars_files, src:) are resolved against
	Plays []*Play
	// Secrets collects the values templates read from the environment; the
	// executor redacts them from everything it reports.
	Secrets *Secrets
	// Tags are every tag some task carries, for --tags validation.
	Tags []string
}

// Strategy says how hosts of a batch move through the tasks.
type Strategy string

const (
	// Linear runs each task on every host of the batch before the next task.
	Linear Strategy = "linear"
	// Free lets each host run through the tasks at its own pace.
	Free Strategy = "free"
)

// Play is hosts and the tasks to run on them.
type Play struct {
	Pos         string
	Name        string // its name:, else its hosts pattern
	Hosts       string // host pattern
	Vars        map[string]any
	VarsFiles   []string
	FileVars    map[string]any // the variables of VarsFiles, merged in order
	Become      bool
	BecomeUser  string
	Serial      []Amount // batch sizes; the last repeats; nil means one batch
	MaxFail     *Amount  // nil means no limit
	Strategy    Strategy
	GatherFacts bool
	Tasks       []*Task
	Handlers    []*Task
}

// Amount is a number of hosts, absolute or a percentage of the play's hosts.
type Amount struct {
	N       int
	Percent bool
}

func (a Amount) String() string {
	if a.Percent {
		return fmt.Sprintf("%d%%", a.N)
	}
	return fmt.Sprint(a.N)
}

// of returns the amount as a number of hosts out of total: percentages round
// down, but a batch size is at least 1.
func (a Amount) of(total int) int {
	if !a.Percent {
		return a.N
	}
	return a.N * total / 100
}

// Task is one action with its keywords.
type Task struct {
	Pos          string
	Name         string
	Action       Action
	When         *Cond
	Register     string
	IgnoreErrors bool
	Retries      int   // attempts after the first, when Until is set
	Until        *Cond // retry until true
	Delay        time.Duration
	ChangedWhen  *Cond
	FailedWhen   *Cond
	Notify       []string
	Tags         []string
	Become       *bool
	BecomeUser   string
	Timeout      time.Duration
	RunOnce      bool
	Loop         *Loop
	handler      bool
}

// DisplayName is the task's name, or its action when it has none.
func (t *Task) DisplayName() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Action.Kind() + " " + t.Action.summary()
}

// Loop is what a task iterates over: a list (items may hold templates) or
// a template producing a list.
type Loop struct {
	Items   []any // strings in it that hold templates are Texts
	Expr    *Text
	Flatten bool // with_items: lists among the items are flattened one level
}

// Default retry settings, as Ansible's.
const (
	DefaultRetries = 3
	DefaultDelay   = 5 * time.Second
)
