package main

import (
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
)

// openLog opens --log-file (appending) with the --log-format handler. The
// log gets run and host outcomes, never secrets: no passwords, no
// environment values, no command output, and every value of r.secrets is
// masked wherever it appears.
func (r *opsRun) openLog() error {
	if r.o.LogFile == "" {
		return nil
	}
	var w io.Writer
	if r.o.LogFile == "-" {
		w = r.a.io.Err
	} else {
		f, err := os.OpenFile(r.o.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return usageError{fmt.Errorf("--log-file: %w", err)}
		}
		r.logW = &errWriter{w: f}
		w, r.logOut = r.logW, f
	}
	level := slog.LevelInfo
	if r.a.g.Verbose > 0 {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: maskLogAttr(r.secrets)}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if r.o.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	r.log = slog.New(h)
	return nil
}

// sendSyslog sends the run's summary line to syslog (journald reads it
// too), at notice level when the run succeeded and warning otherwise.
func (r *opsRun) sendSyslog(line string, ok bool) {
	if !r.o.Syslog {
		return
	}
	priority := syslog.LOG_USER | syslog.LOG_NOTICE
	if !ok {
		priority = syslog.LOG_USER | syslog.LOG_WARNING
	}
	w, err := syslog.New(priority, "remotectl")
	if err != nil {
		if r.o.SyslogBestEffort {
			r.log.Debug("syslog unavailable", "run", r.id, "error", err.Error())
			return
		}
		r.warn("--syslog: %v; hint: is a syslog daemon or journald listening on /dev/log?", err)
		return
	}
	defer w.Close()
	if ok {
		err = w.Notice(line)
	} else {
		err = w.Warning(line)
	}
	if err != nil {
		r.warn("--syslog: %v", err)
	}
}
