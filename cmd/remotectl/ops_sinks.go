package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/remotectl/remotectl/runrec"
)

// checkSinks makes sure, before any host is contacted, that every output
// of the run can be written: --report and --prometheus-textfile (a
// temporary file beside them, removed at once: the previous document stays
// until the run ends), --outdir (a temporary file in it, or in its nearest
// existing parent when it is still to be created) and --log-file (opened for
// appending, as the run will). An unusable one is a usage error (64) naming
// the flag and the path, and nothing runs.
func (r *opsRun) checkSinks() error {
	var errs []error
	for _, s := range []struct{ flag, path string }{{flagReport, r.o.Report}, {flagTextfile, r.o.Textfile}} {
		if s.path == "" {
			continue
		}
		if err := runrec.CheckWriteAtomic(s.path); err != nil {
			errs = append(errs, fmt.Errorf("--%s %s: %w", s.flag, s.path, err))
		}
	}
	if r.outDir != "" {
		if err := checkDirWritable(r.outDir); err != nil {
			errs = append(errs, fmt.Errorf("--outdir %s: %w", r.outDir, err))
		}
	}
	if len(errs) == 0 {
		// Last: it creates the log file, which is then the run's log.
		if err := r.openLog(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		errs = append(errs, errors.New("hint: outputs are checked before any host is contacted; nothing ran"))
		return usageError{errors.Join(errs...)}
	}
	return nil
}

// checkDirWritable reports whether files can be created in dir, or, when
// dir does not exist yet, in its nearest existing parent (where it would be
// created). It leaves nothing behind.
func checkDirWritable(dir string) error {
	probe := dir
	for {
		fi, err := os.Stat(probe)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", probe)
			}
			break
		}
		parent := filepath.Dir(probe)
		if !errors.Is(err, fs.ErrNotExist) || parent == probe {
			return err
		}
		probe = parent
	}
	// The same probe as for a file written there atomically.
	return runrec.CheckWriteAtomic(filepath.Join(probe, ".remotectl-probe"))
}

// outputFailed notes that an output of the run (--report, --outdir,
// --prometheus-textfile, --log-file, standard output) could not be
// written: the run then exits 74 (see outputFailedCode).
func (r *opsRun) outputFailed(err error) {
	r.warn("%v", err)
	r.outErr = errors.Join(r.outErr, err)
}

// outputCode returns the run's exit code once its outputs are written: code,
// or outputFailedCode when one of them (the log included) failed.
func (r *opsRun) outputCode(code int) int {
	if r.logW != nil {
		if err := r.logW.takeErr(); err != nil {
			r.logW = nil // said once; the warning's own log line fails too
			r.outputFailed(fmt.Errorf("--%s %s: %w", flagLogFile, r.o.LogFile, err))
		}
	}
	if r.outErr == nil {
		return code
	}
	return outputFailedCode(code, r.nagios)
}

// errWriter remembers the first error of the writer it wraps (slog drops
// them), so that a log that could not be written is not a silent loss.
type errWriter struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
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

// takeErr returns the first write error since the last call, if any.
func (e *errWriter) takeErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.err
	e.err = nil
	return err
}
