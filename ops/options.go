// Package ops holds what an unattended run of remotectl needs around its
// hosts' work: the settings of cron and CI runs (Options, resolved once when
// the settings load), the lock, the jitter, the deadline, the run record,
// the --report and --prometheus-textfile documents, syslog and the log file,
// the check of every output before a host is contacted, the masking of
// secrets and the live status line. exec, check and play use one Run each;
// copy and fetch use the status line and Pump.
package ops

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/remotectl/remotectl/internal/errkind"
	"github.com/remotectl/remotectl/runrec"
)

// Names of the flags of unattended runs and run history. They are read
// through the command's settings (viper: REMOTECTL_* variables and the config
// file set them too).
const (
	FlagCron      = "cron"
	FlagLock      = "lock"
	FlagJitter    = "jitter"
	FlagDeadline  = "deadline"
	FlagReport    = "report"
	FlagTextfile  = "prometheus-textfile"
	FlagSyslog    = "syslog"
	FlagLogFile   = "log-file"
	FlagLogFormat = "log-format"
	FlagKeepRuns  = "keep-runs"
	FlagKeepDays  = "keep-days"
	FlagRerun     = "rerun"
	FlagFrom      = "from"
	FlagRunID     = "run-id"
)

// LockAuto is the value of --lock given without a file: a lock file derived
// from the command line.
const LockAuto = "auto"

// CronJitter is the splay --cron adds when --jitter is not set.
const CronJitter = 10 * time.Second

// Options are the settings of unattended runs and run history, as in
// effect: --cron already applied (see Load).
type Options struct {
	Cron     bool
	Lock     string // "" no lock, LockAuto the derived path, else the lock file
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
	RunID            string // --run-id: the ID the shards of one run share ("" the run's own)
}

// AddFlags registers the flags of unattended runs and run history on a
// command that runs jobs on hosts.
func AddFlags(f *pflag.FlagSet) {
	f.Bool(FlagCron, false, "unattended mode: --lock, --jitter "+CronJitter.String()+" (unless set), --quiet, --syslog (if available), no prompts, no colour")
	f.String(FlagLock, "", "hold a lock for the run; a second run exits 75 (--lock alone: a file derived from the command line; --lock=FILE)")
	f.Lookup(FlagLock).NoOptDefVal = LockAuto
	f.Duration(FlagJitter, 0, "wait a random time up to this long before starting (spreads cron jobs of many machines)")
	f.Duration(FlagDeadline, 0, "time budget for the whole run: then every host is stopped, partial results reported, exit bit 4")
	f.String(FlagReport, "", "also write the JSON result to this file (atomically: a temporary file renamed)")
	f.String(FlagTextfile, "", "also write metrics to this file for node_exporter's textfile collector (atomically)")
	f.Bool(FlagSyslog, false, "send one summary line to syslog (journald)")
	f.String(FlagLogFile, "", "append a log of the run to this file (\"-\" for standard error); secrets are never logged")
	f.String(FlagLogFormat, "text", "log format: text or json")
	f.Int(FlagKeepRuns, runrec.DefaultKeep, "run records to keep in the history (0: do not record runs)")
	f.Int(FlagKeepDays, 0, "also remove run records older than this many days (0: any age)")
	f.String(FlagRerun, "", "run only on the hosts of the last run of the same command that: failed, unreachable, changed")
	f.String(FlagFrom, "", "with --rerun: the run to take hosts from (an ID from remotectl runs list; default the last)")
	f.String(FlagRunID, "", "the run's ID in JSON documents and the run history; give every --shard of one run the same (e.g. $SLURM_ARRAY_JOB_ID) for report merge")
}

// Settings reads the resolved value of a setting by its flag name (viper
// satisfies it: flags > REMOTECTL_* > config file > defaults).
type Settings interface {
	GetBool(key string) bool
	GetString(key string) string
	GetDuration(key string) time.Duration
	GetInt(key string) int
	IsSet(key string) bool
}

// Load reads and checks the settings of unattended runs, and applies --cron
// (see Options.Unattended). A bad value is a UsageError.
func Load(s Settings) (Options, error) {
	o := Options{
		Cron:      s.GetBool(FlagCron),
		Lock:      s.GetString(FlagLock),
		Jitter:    s.GetDuration(FlagJitter),
		Deadline:  s.GetDuration(FlagDeadline),
		Report:    s.GetString(FlagReport),
		Textfile:  s.GetString(FlagTextfile),
		Syslog:    s.GetBool(FlagSyslog),
		LogFile:   s.GetString(FlagLogFile),
		LogFormat: strings.ToLower(s.GetString(FlagLogFormat)),
		KeepRuns:  s.GetInt(FlagKeepRuns),
		KeepDays:  s.GetInt(FlagKeepDays),
		Rerun:     strings.ToLower(s.GetString(FlagRerun)),
		RerunFrom: s.GetString(FlagFrom),
		RunID:     s.GetString(FlagRunID),
	}
	if err := o.Validate(); err != nil {
		return o, UsageError{Err: err}
	}
	if o.Cron {
		o = o.Unattended(s.IsSet(FlagJitter))
	}
	return o, nil
}

// Unattended returns the options with the bundle of --cron turned on: a
// lock (the derived file unless one is named), the default jitter unless
// --jitter was set (jitterSet), and syslog at best effort unless asked for.
// The settings outside ops that --cron changes (quiet, no colour, no
// prompts) are the caller's to apply when o.Cron.
func (o Options) Unattended(jitterSet bool) Options {
	o.Cron = true
	if o.Lock == "" {
		o.Lock = LockAuto
	}
	if !jitterSet {
		o.Jitter = CronJitter
	}
	if !o.Syslog {
		o.Syslog, o.SyslogBestEffort = true, true
	}
	return o
}

// Validate reports every setting out of range, joined.
func (o *Options) Validate() error {
	var errs []error
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{FlagJitter, o.Jitter}, {FlagDeadline, o.Deadline}} {
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

// UsageError is a setting or an output of the run that cannot work: the
// command was called wrongly, and nothing ran.
type UsageError = errkind.Usage

// ErrNothingToRerun is returned by Run.Rerun when no selected host is one
// --rerun asks for: the command has nothing to do, which is a success.
var ErrNothingToRerun = errors.New("nothing to rerun")
