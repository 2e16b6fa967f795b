// Package runrec keeps a record of every run (exec, check, play) so that
// operators can see what happened, compare two runs and run again on the
// hosts that failed or changed.
//
// A Record is one JSON file, named after its ID, in a Store directory
// ($XDG_STATE_HOME/remotectl/runs by default). Output is never stored in
// full: each stream keeps a SHA-256 digest, its size and its first KiB
// (Digest), enough to tell whether it changed and to show what it was.
package runrec

import (
	"time"
)

// FormatVersion is the version of the record format written by this package.
const FormatVersion = 1

// Host statuses, as the report package names them (report.Status*).
const (
	StatusOK          = "ok"
	StatusFailed      = "failed"
	StatusError       = "error" // check runs: some property could not be evaluated
	StatusUnreachable = "unreachable"
	StatusTimeout     = "timeout"
	StatusCancelled   = "cancelled"
)

// Record is one run: what was asked, when, and what happened on each host.
type Record struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	// RunID is the ID the shards of one sharded run share (--run-id), and
	// Shard this record's part (K/N); both "" when not given.
	RunID string `json:"run_id,omitempty"`
	Shard string `json:"shard,omitempty"`
	// Command is the remotectl command: "exec", "check", "play".
	Command string `json:"command"`
	// Args are the command's own arguments: the remote command of exec, the
	// check files of check, the playbook of play.
	Args []string `json:"args,omitempty"`
	// Key identifies "the same command" for --rerun: runs with equal keys
	// ran the same thing (see Key).
	Key         string    `json:"key"`
	Inventories []string  `json:"inventories,omitempty"`
	Pattern     string    `json:"pattern,omitempty"` // -H
	Limit       string    `json:"limit,omitempty"`   // --limit
	Start       time.Time `json:"start"`
	DurationMS  int64     `json:"duration_ms"`
	ExitCode    int       `json:"exit_code"`
	// DeadlineExpired: the run's --deadline passed before every host ended.
	DeadlineExpired bool `json:"deadline_expired,omitempty"`
	// Interrupted: the run was cancelled (Ctrl-C, SIGTERM).
	Interrupted bool `json:"interrupted,omitempty"`
	// DryRun: the run changed nothing (play --check). Its outcomes are not
	// those of a real run: --rerun never starts from it.
	DryRun bool   `json:"dry_run,omitempty"`
	Hosts  []Host `json:"hosts"`
}

// Duration returns how long the run took.
func (r *Record) Duration() time.Duration { return time.Duration(r.DurationMS) * time.Millisecond }

// Counts returns the number of hosts by status.
func (r *Record) Counts() map[string]int {
	c := make(map[string]int)
	for i := range r.Hosts {
		c[r.Hosts[i].Status]++
	}
	return c
}

// Host returns the record of the host called name, or nil.
func (r *Record) Host(name string) *Host {
	for i := range r.Hosts {
		if r.Hosts[i].Name == name {
			return &r.Hosts[i]
		}
	}
	return nil
}

// Host is what happened on one host.
type Host struct {
	Name   string `json:"host"`
	Status string `json:"status"`
	// ExitCode is nil when the host ended with an error (the outcome of its
	// command is unknown) and for check runs.
	ExitCode   *int   `json:"exit_code,omitempty"`
	Signal     string `json:"signal,omitempty"`
	ErrorClass string `json:"error_class,omitempty"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	NotStarted bool   `json:"not_started,omitempty"`
	// Stdout and Stderr digest the host's output (exec runs).
	Stdout *Digest `json:"stdout,omitempty"`
	Stderr *Digest `json:"stderr,omitempty"`
	// Checks are the host's check results (check runs).
	Checks []Check `json:"checks,omitempty"`
}

// Check is the outcome of one property of one check on a host.
type Check struct {
	Check    string `json:"check"` // "type id", as checks.Result.Name
	Property string `json:"property"`
	Status   string `json:"status"` // pass, fail, skip, error
	Pos      string `json:"pos,omitempty"`
	Message  string `json:"message,omitempty"`
}

// key tells the properties of a host apart when diffing two runs.
func (c *Check) key() string { return c.Check + " " + c.Property }
