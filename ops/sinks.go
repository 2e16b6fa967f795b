package ops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/remotectl/remotectl/runrec"
)

// checkSinks makes sure, before any host is contacted, that every output
// of the run can be written: --report and --prometheus-textfile (a
// temporary file beside them, removed at once: the previous document stays
// until the run ends), --outdir (a temporary file in it, or in its nearest
// existing parent when it is still to be created) and --log-file (opened for
// appending, as the run will). An unusable one is a UsageError naming the
// flag and the path, and nothing runs.
func (r *Run) checkSinks() error {
	var errs []error
	for _, s := range []struct{ flag, path string }{{FlagReport, r.o.Report}, {FlagTextfile, r.o.Textfile}} {
		if s.path == "" {
			continue
		}
		if err := runrec.CheckWriteAtomic(s.path); err != nil {
			errs = append(errs, fmt.Errorf("--%s %s: %w", s.flag, s.path, err))
		}
	}
	if r.cmd.OutDir != "" {
		if err := checkDirWritable(r.cmd.OutDir); err != nil {
			errs = append(errs, fmt.Errorf("--outdir %s: %w", r.cmd.OutDir, err))
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
		return UsageError{Err: errors.Join(errs...)}
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

// OutputFailed notes that an output of the run (--report, --outdir,
// --prometheus-textfile, --log-file, standard output) could not be
// written: the run then ends with ExitCodes.OutputFailed.
func (r *Run) OutputFailed(err error) {
	r.warn("%v", err)
	r.outErr = errors.Join(r.outErr, err)
}

// outputCode returns the run's exit code once its outputs are written: code,
// or the output-failed code when one of them (the log included) failed.
func (r *Run) outputCode(code int) int {
	if r.logW != nil {
		if err := r.logW.TakeErr(); err != nil {
			r.logW = nil // said once; the warning's own log line fails too
			r.OutputFailed(fmt.Errorf("--%s %s: %w", FlagLogFile, r.o.LogFile, err))
		}
	}
	if r.outErr == nil {
		return code
	}
	return r.d.Codes.OutputFailed(code)
}
