package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/remotectl/remotectl/runrec"
)

// Settings of unattended runs (cron, CI) and run history, shared by the
// commands that run jobs on hosts (exec, check). They are read through viper,
// so REMOTECTL_* variables and the config file set them too.
const (
	flagCron      = "cron"
	flagLock      = "lock"
	flagJitter    = "jitter"
	flagDeadline  = "deadline"
	flagReport    = "report"
	flagTextfile  = "prometheus-textfile"
	flagSyslog    = "syslog"
	flagLogFile   = "log-file"
	flagLogFormat = "log-format"
	flagKeepRuns  = "keep-runs"
	flagKeepDays  = "keep-days"
	flagRerun     = "rerun"
	flagFrom      = "from"
)

// lockAuto is the value of --lock given without a file: a lock file derived
// from the command line.
const lockAuto = "auto"

// cronJitter is the splay --cron adds when --jitter is not set.
const cronJitter = 10 * time.Second

// opsOptions are the settings of unattended runs and run history.
type opsOptions struct {
	Cron     bool
	Lock     string // "" no lock, lockAuto the derived path, else the lock file
	Jitter   time.Duration
	Deadline time.Duration
	Report   string // JSON result file
	Textfile string // Prometheus textfile
	Syslog   bool
	// SyslogBestEffort: syslog came with --cron only, so a machine without
	// a syslog daemon is not an error worth a line in every cron mail.
	SyslogBestEffort bool
	LogFile          string
	LogFormat        string // "text" or "json"
	KeepRuns         int    // records kept; 0 turns history off
	KeepDays         int    // records older than this are removed; 0 keeps any age
	Rerun            string // "", or one of runrec.RerunModes
	RerunFrom        string // run ID --rerun starts from; "" the last run of the same command
}

// addOpsFlags registers the flags of unattended runs and run history on a
// command that runs jobs on hosts.
func addOpsFlags(f *pflag.FlagSet) {
	f.Bool(flagCron, false, "unattended mode: --lock, --jitter "+cronJitter.String()+" (unless set), --quiet, --syslog (if available), no prompts, no colour")
	f.String(flagLock, "", "hold a lock for the run; a second run exits 75 (--lock alone: a file derived from the command line; --lock=FILE)")
	f.Lookup(flagLock).NoOptDefVal = lockAuto
	f.Duration(flagJitter, 0, "wait a random time up to this long before starting (spreads cron jobs of many machines)")
	f.Duration(flagDeadline, 0, "time budget for the whole run: then every host is stopped, partial results reported, exit bit 4")
	f.String(flagReport, "", "also write the JSON result to this file (atomically: a temporary file renamed)")
	f.String(flagTextfile, "", "also write metrics to this file for node_exporter's textfile collector (atomically)")
	f.Bool(flagSyslog, false, "send one summary line to syslog (journald)")
	f.String(flagLogFile, "", "append a log of the run to this file (\"-\" for standard error); secrets are never logged")
	f.String(flagLogFormat, "text", "log format: text or json")
	f.Int(flagKeepRuns, runrec.DefaultKeep, "run records to keep in the history (0: do not record runs)")
	f.Int(flagKeepDays, 0, "also remove run records older than this many days (0: any age)")
	f.String(flagRerun, "", "run only on the hosts of the last run of the same command that: failed, unreachable, changed")
	f.String(flagFrom, "", "with --rerun: the run to take hosts from (an ID from remotectl runs list; default the last)")
}

// opsOptions reads the settings of unattended runs. --cron turns on its
// bundle here, so everything after sees the effective settings (quiet, no
// colour, no prompts).
func (a *app) opsOptions() (opsOptions, error) {
	v := a.v
	o := opsOptions{
		Cron:      v.GetBool(flagCron),
		Lock:      v.GetString(flagLock),
		Jitter:    v.GetDuration(flagJitter),
		Deadline:  v.GetDuration(flagDeadline),
		Report:    v.GetString(flagReport),
		Textfile:  v.GetString(flagTextfile),
		Syslog:    v.GetBool(flagSyslog),
		LogFile:   v.GetString(flagLogFile),
		LogFormat: strings.ToLower(v.GetString(flagLogFormat)),
		KeepRuns:  v.GetInt(flagKeepRuns),
		KeepDays:  v.GetInt(flagKeepDays),
		Rerun:     strings.ToLower(v.GetString(flagRerun)),
		RerunFrom: v.GetString(flagFrom),
	}
	if err := o.validate(); err != nil {
		return o, usageError{err}
	}
	if o.Cron {
		if o.Lock == "" {
			o.Lock = lockAuto
		}
		if !v.IsSet(flagJitter) {
			o.Jitter = cronJitter
		}
		if !o.Syslog {
			o.Syslog, o.SyslogBestEffort = true, true
		}
		a.g.Quiet = true
		a.g.Color = "never"
		a.io.ReadSecret = nil // never prompt, even on a terminal
	}
	return o, nil
}

func (o *opsOptions) validate() error {
	var errs []error
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{flagJitter, o.Jitter}, {flagDeadline, o.Deadline}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("--%s must not be negative, not %s", d.flag, d.v))
		}
	}
	if o.KeepRuns < 0 || o.KeepDays < 0 {
		errs = append(errs, errors.New("--keep-runs and --keep-days must not be negative"))
	}
	switch o.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format must be text or json, not %q", o.LogFormat))
	}
	if o.Rerun != "" && !slices.Contains(runrec.RerunModes, o.Rerun) {
		errs = append(errs, fmt.Errorf("--rerun must be one of %s, not %q", strings.Join(runrec.RerunModes, ", "), o.Rerun))
	}
	if o.RerunFrom != "" && o.Rerun == "" {
		errs = append(errs, errors.New("--from names the run --rerun takes hosts from: add --rerun failed, unreachable or changed"))
	}
	return errors.Join(errs...)
}
