package ops

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/remotectl/remotectl/runrec"
)

// Lock is the lock a run holds (--lock) so that two runs of one cron job
// never overlap. The lock is an flock(2) on a file that also says who holds
// it; the file is left in place when the run ends (removing it would let a
// third run lock a different file than a waiting second one).
type Lock struct {
	fl *flock.Flock
}

// LockHolder is what a lock file says about the run holding it.
type LockHolder struct {
	PID     int
	Started time.Time
	Command string
	RunID   string
}

// LockedError reports that another run holds the lock (exit 75).
type LockedError struct {
	Path   string
	Holder LockHolder
	Now    time.Time // when the lock was tried, for the holder's age
}

func (e LockedError) Error() string {
	h := e.Holder
	who := "another run"
	if h.PID > 0 {
		who = fmt.Sprintf("another run (pid %d", h.PID)
		if !h.Started.IsZero() {
			who += fmt.Sprintf(", started %s, %s ago", h.Started.Local().Format(time.DateTime), e.Now.Sub(h.Started).Round(time.Second))
		}
		if h.Command != "" {
			who += ", remotectl " + h.Command
		}
		who += ")"
	}
	return fmt.Sprintf("%s holds the lock %s; hint: let it finish (lower --deadline if runs overlap), or check that the process is still alive", who, e.Path)
}

// AcquireLock takes the lock file at path without waiting and writes the
// holder's details into it. A lock held by another process is a
// LockedError; now is the time it is tried.
func AcquireLock(path string, me LockHolder, now time.Time) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("--lock: %w", err)
	}
	fl := flock.New(path, flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDWR))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("--lock %s: %w", path, err)
	}
	if !ok {
		return nil, LockedError{Path: path, Holder: readLockHolder(path), Now: now}
	}
	if err := writeLockHolder(path, me); err != nil {
		_ = fl.Unlock()
		return nil, fmt.Errorf("--lock %s: %w", path, err)
	}
	return &Lock{fl: fl}, nil
}

// Release unlocks; the file stays. A nil Lock releases nothing.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	return l.fl.Unlock()
}

func writeLockHolder(path string, h LockHolder) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "pid=%d\nstarted=%s\ncommand=%s\nrun=%s\n", h.PID, h.Started.UTC().Format(time.RFC3339), h.Command, h.RunID)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readLockHolder reads what it can of a lock file; a file being rewritten
// may say nothing yet.
func readLockHolder(path string) LockHolder {
	var h LockHolder
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "started":
			h.Started, _ = time.Parse(time.RFC3339, v)
		case "command":
			h.Command = v
		case "run":
			h.RunID = v
		}
	}
	return h
}

// DefaultLockPath is the lock file of a command line: under
// $XDG_RUNTIME_DIR/remotectl, else the state directory, named after the
// command and a digest of what it runs, on which inventories and hosts, so
// that one cron job never overlaps itself while different jobs run freely.
func DefaultLockPath(getenv func(string) string, command string, args []string, s Scope) (string, error) {
	dir := getenv("XDG_RUNTIME_DIR")
	if filepath.IsAbs(dir) {
		dir = filepath.Join(dir, "remotectl")
	} else if state := runrec.StateHome(getenv); state != "" {
		dir = filepath.Join(state, "remotectl", "locks")
	} else {
		return "", UsageError{Err: fmt.Errorf("--lock: no directory for the lock file (XDG_RUNTIME_DIR and HOME are unset); hint: name one, --lock=/run/lock/remotectl-%s.lock", command)}
	}
	what := append(slices.Clone(args), "\x00hosts", s.Hosts, "\x00limit", s.Limit)
	if s.Shard != "" { // the shards of one run on one machine do not wait for each other
		what = append(what, "\x00shard", s.Shard)
	}
	return filepath.Join(dir, command+"-"+runrec.Key(command, what, s.Inventories)+".lock"), nil
}
