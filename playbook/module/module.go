// Package module holds Ansible's modules implemented in Go: each is a row of
// the registry (Name, Collection, Params, check/diff support, Run) and runs
// on the controller, driving POSIX tools (or PowerShell, for win_*) on the
// host over the connection the play already holds. No Python, no agent.
//
// The playbook package parses a task into a module name and raw arguments,
// checks the argument names against the module's Params when it loads the
// playbook (file:line:col errors before any connection), templates the
// arguments for each host when the task runs, normalises them (Normalize:
// aliases, defaults, types, choices) and calls Run with a Call: the
// arguments, the Host, check and diff modes and the Controller (files and
// templates on the controller side).
//
// A module returns Ansible's result keys (changed, failed, msg, rc, stdout,
// diff, and its own), and is idempotent: it gathers what it needs, decides,
// and acts only when the host differs from what was asked.
package module

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Module is one module.
type Module struct {
	Name       string   // short name, as in Ansible: "copy"
	Collection string   // "ansible.builtin", "ansible.posix", "ansible.windows", "remotectl"
	Aliases    []string // other short names for the same module: "systemd_service"
	Params     []Param
	// FreeForm is the parameter that a free-form string fills
	// ("cmd" for command and shell: `command: ls -l chdir=/tmp`); "" means
	// the module takes k=v pairs only.
	FreeForm string
	Check    CheckSupport
	Diff     bool // it fills Result["diff"] in diff mode
	Windows  bool // a win_* module: runs on Windows hosts only; others on POSIX hosts only
	// Run does the work on one host. An error means the host cannot go on
	// (connection lost, context done); a failure of the module is a Result
	// with failed: true and a msg.
	Run func(ctx context.Context, c *Call) (Result, error)
}

// CheckSupport says what a module does in check mode.
type CheckSupport uint8

const (
	// CheckNone: in check mode the task is skipped (Ansible: "skipped,
	// remote module does not support check mode"), unless check_mode: false.
	CheckNone CheckSupport = iota
	// CheckFull: Run is called with Call.Check set; it predicts the change
	// (changed: true/false) without making it.
	CheckFull
)

// FQCN is the module's fully qualified name: ansible.builtin.copy.
func (m *Module) FQCN() string { return m.Collection + "." + m.Name }

// Param is one argument a module accepts.
type Param struct {
	Name     string
	Aliases  []string
	Type     Type
	Elements Type // of a List
	Required bool
	Default  any      // applied by Normalize when the argument is absent; nil means none
	Choices  []string // the values a Str may take; nil means any
	NoLog    bool     // its value is a secret (password, url_password): never printed
}

// Type is the type of a Param, as Ansible's argument_spec types.
type Type uint8

const (
	Raw  Type = iota // any value, as written
	Str              // a string; numbers and booleans are turned into their text
	Bool             // Ansible's booleans: yes/no, true/false, on/off, 1/0
	Int
	Float
	List // a list; a comma-separated string is split, as Ansible does
	Dict
	Path // a string, ~ not expanded (the host's shell would)
	Mode // a file mode: an octal string ("0644", "644"), an int, or symbolic ("u=rw,g=r")
)

// Result is what a module returns, Ansible's keys: "changed", "failed",
// "msg", "rc", "stdout", "stderr", "diff", and its own. The executor adds
// stdout_lines/stderr_lines and the keys every result has.
type Result map[string]any

// Failed returns a failed result with a message.
func Failed(format string, args ...any) Result {
	return Result{"failed": true, "changed": false, "msg": fmt.Sprintf(format, args...)}
}

// Changed reports Result["changed"].
func (r Result) Changed() bool { b, _ := r["changed"].(bool); return b }

// IsFailed reports Result["failed"].
func (r Result) IsFailed() bool { b, _ := r["failed"].(bool); return b }

// Call is one run of a module on one host.
type Call struct {
	Module *Module
	Args   Args
	Host   Host
	Check  bool // check mode: predict, change nothing
	Diff   bool // diff mode: fill Result["diff"] ({before, after, before_header, after_header})
	// Controller is the controller side: files and templates; nil in tests
	// that need none.
	Controller Controller
}

// Controller is what a module may use on the controller.
type Controller interface {
	// FindFile resolves a relative src: as Ansible does, in the role's
	// files/ (kind "files") or templates/ (kind "templates") directory,
	// then next to the task file, then the playbook's directory. An
	// absolute path is returned as is.
	FindFile(kind, name string) (string, error)
	// Template renders text, the template file at path (src as the task
	// writes it), for dest with the host's variables and those the
	// template module adds (ansible_managed, template_path, ...), as
	// Ansible's template action does.
	Template(text, src, path, dest string) (string, error)
	// Vars are the task's variables (read-only).
	Vars() map[string]any
	// BaseDir is the playbook's directory: a relative controller path
	// that is no source (fetch's dest) is relative to it, as Ansible's
	// path_dwim.
	BaseDir() string
}

// Lookup returns the module a task key names: a short name, an alias or a
// fully qualified name (ansible.builtin.copy, ansible.legacy.copy,
// ansible.posix.sysctl).
func Lookup(name string) (*Module, bool) {
	short := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		short = name[i+1:]
	}
	for _, m := range All() {
		if m.Name != short && !slices.Contains(m.Aliases, short) {
			continue
		}
		if short == name || name == m.Collection+"."+short || name == "ansible.legacy."+short && m.Collection == "ansible.builtin" {
			return m, true
		}
	}
	return nil, false
}

// All returns every module, in the order of the groups below (each group
// lives in its own file).
func All() []*Module {
	var all []*Module
	for _, group := range [][]*Module{
		commandModules(),
		fileModules(),
		packageModules(),
		repoModules(),
		systemModules(),
		netModules(),
		factModules(),
		windowsModules(),
		extraModules(),
	} {
		all = append(all, group...)
	}
	return all
}
