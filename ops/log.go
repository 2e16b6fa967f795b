package ops

import (
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"sync"
)

// openLog opens --log-file (appending) with the --log-format handler. The
// log gets run and host outcomes, never secrets: no passwords, no
// environment values, no command output, and every value of the run's
// masker is masked wherever it appears.
func (r *Run) openLog() error {
	if r.o.LogFile == "" {
		return nil
	}
	var w io.Writer
	if r.o.LogFile == "-" {
		w = r.d.Err
	} else {
		f, err := os.OpenFile(r.o.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return UsageError{Err: fmt.Errorf("--log-file: %w", err)}
		}
		r.logW = NewErrWriter(f)
		w, r.logOut = r.logW, f
	}
	level := slog.LevelInfo
	if r.d.Verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: maskLogAttr(r.d.Secrets)}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if r.o.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	r.log = slog.New(h)
	return nil
}

// sendSyslog sends the run's summary line to syslog (journald reads it
// too), at notice level when the run succeeded and warning otherwise.
func (r *Run) sendSyslog(line string, ok bool) {
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

// ErrWriter remembers the first error of the writer it wraps, for writers
// whose users drop errors (slog; fmt.Fprint*), so that an output that could
// not be written (the log, standard output) is not a silent loss.
type ErrWriter struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

// NewErrWriter returns w, remembering its first write error.
func NewErrWriter(w io.Writer) *ErrWriter { return &ErrWriter{w: w} }

func (e *ErrWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.mu.Lock()
		if e.err == nil {
			e.err = err
		}
		e.mu.Unlock()
	}
	return n, err
}

// TakeErr returns the first write error since the last call, if any.
func (e *ErrWriter) TakeErr() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.err
	e.err = nil
	return err
}
