package playbook

import (
	"fmt"
	"time"

	"github.com/remotectl/remotectl/playbook/jinja"
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
	// decrypt decrypts vault content of include_vars files.
	decrypt func([]byte) ([]byte, error)
	eng     *jinja.Engine
	groupBy bool // a task makes groups at run time: plays may name them
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
	Pos        string
	Dir        string // the directory of its file (vars_files are relative to it)
	Name       string // its name:, else its hosts pattern
	Hosts      string // host pattern
	Vars       map[string]any
	VarsFiles  []string
	FileVars   map[string]any // the variables of VarsFiles, merged in order
	Become     bool
	BecomeUser string
	Serial     []Amount // batch sizes; the last repeats; nil means one batch
	MaxFail    *Amount  // remotectl's max_fail, over the play's hosts; nil means no limit
	// MaxFailPercentage and AnyErrorsFatal end the play as Ansible's: more
	// failed hosts than the percentage of the batch, or any failure.
	MaxFailPercentage *int
	AnyErrorsFatal    bool
	Strategy          Strategy
	GatherFacts       bool
	Tasks             []*Task
	Handlers          []*Task
	// RoleDefaults and RoleVars merge the defaults and vars of every role
	// the play applies (each role's own win in its tasks).
	RoleDefaults map[string]any
	RoleVars     map[string]any
	RemoteUser   string // remote_user: the login user of every host whose inventory names none
	Connection   string // connection: local runs every host on the controller
	Order        string // order: of the hosts (inventory, sorted, ...)
	// Prompts are the play's vars_prompt, asked when the play starts, on a
	// terminal only (else their defaults); PromptVars are their answers,
	// filled then.
	Prompts    []VarPrompt
	PromptVars map[string]any
}

// VarPrompt is one vars_prompt entry.
type VarPrompt struct {
	Name, Prompt string
	Default      any
	HasDefault   bool
	Private      bool // the answer is not echoed, and it is a secret
	Confirm      bool // asked twice until both answers match
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
	// BecomeMethod is the become_method keyword ("sudo" or "su"; "" when
	// no scope gives one) and BecomeFlags become_flags (nil: none given).
	BecomeMethod string
	BecomeFlags  *string
	Timeout      time.Duration
	RunOnce      bool
	Loop         *Loop
	LoopControl  LoopControl
	Async        any // async: seconds, an int or a *Text template; nil for none
	Poll         any // poll: seconds, as Async; nil for Ansible's default
	// IgnoreUnreachable keeps a host that cannot be reached in the play;
	// AnyErrorsFatal (nil: the play's) ends the play when the task fails
	// on a host; DelegateFacts gives the facts the task gathers to the
	// host it delegates to.
	IgnoreUnreachable bool
	AnyErrorsFatal    *bool
	DelegateFacts     bool
	// Key is the action as the task writes it (copy, ansible.builtin.copy):
	// the task's name when it has none, as Ansible's TASK [copy].
	Key  string
	Vars map[string]any // vars: of the task (its blocks' under it)
	// Environment are the environment: mappings of the play, blocks and
	// task, in that order (later win); they may hold templates.
	Environment []any
	CheckMode   *bool // check_mode: forces check mode on or off
	Diff        *bool // diff: forces diff mode on or off
	NoLog       bool
	Listen      []string // a handler's listen: topics
	Dir         string   // the directory of the file the task is written in
	Role        *Role    // the role the task belongs to, nil for a play's own
	DelegateTo  *Text    // delegate_to: the host the task runs on instead
	Throttle    int      // throttle: how many hosts run the task at once; 0 means no limit
	Block       *Block   // the innermost block the task is in, nil for none
	Section     string   // its section of Block: block, rescue or always
	handler     bool
	implicit    bool // a flush between a play's sections
	eng         *jinja.Engine

	ignoreErrorsSet, noLogSet, runOnceSet bool // the task's own keyword, over its scope's
	ignoreUnreachableSet                  bool
	// kwTemplates are boolean keywords written as templates
	// (ignore_errors: "{{ ansible_check_mode }}"), decided per host when
	// the task runs (hostRun.keywords).
	kwTemplates map[string]Text
}

// LoopControl is a task's loop_control.
type LoopControl struct {
	LoopVar  string // "item" unless set
	IndexVar string
	Label    any // a template of the item shown in results
	Pause    time.Duration
	Extended bool
}

// Role is a role a play applies: its directory and variables.
type Role struct {
	Name     string
	Dir      string
	Defaults map[string]any // defaults/main.yml: the lowest precedence
	Vars     map[string]any // vars/main.yml: over play vars
	Params   map[string]any // the role's parameters in roles:, over almost everything
}

// DisplayName is the task's name (prefixed "role : " in a role), or its
// action when it has none, as Ansible's.
func (t *Task) DisplayName() string {
	if a, ok := t.Action.(*IncludeAction); ok && shortAction(t.Key) == "include_role" {
		// IncludeRole.get_name: its name, else "include_role : ROLE",
		// never the enclosing role's prefix.
		return cmpOr(t.Name, t.Key+" : "+a.File)
	}
	name := t.Name
	if name == "" {
		name = t.Key
	}
	if name == "" && t.Action != nil {
		name = t.Action.Kind()
	}
	if t.Role != nil {
		return t.Role.Name + " : " + name
	}
	return name
}

// Loop is what a task iterates over: loop: (a list, or a template
// producing one) or with_NAME: (the terms of the lookup plugin NAME).
// Strings among the terms may hold templates.
type Loop struct {
	Kind  string // "" for loop:, else NAME of with_NAME
	Terms any
	Pos   string
}

// Default retry settings, as Ansible's.
const (
	DefaultRetries = 3
	DefaultDelay   = 5 * time.Second
)
