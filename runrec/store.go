package runrec

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// idTimeLayout is the time at the start of run IDs.
const idTimeLayout = "20060102-150405.000000"

// DefaultKeep is how many records a store keeps unless told otherwise.
const DefaultKeep = 100

// fileExt is the extension of record files.
const fileExt = ".json"

// Errors of Resolve (wrapped): no record matches, or several do.
var (
	ErrNotFound  = errors.New("no such run")
	ErrAmbiguous = errors.New("ambiguous run")
)

// DefaultDir returns the directory of run records:
// $XDG_STATE_HOME/remotectl/runs, else ~/.local/state/remotectl/runs.
// It returns "" when neither variable is set.
func DefaultDir(getenv func(string) string) string {
	if dir := StateHome(getenv); dir != "" {
		return filepath.Join(dir, "remotectl", "runs")
	}
	return ""
}

// StateHome returns $XDG_STATE_HOME, else ~/.local/state, else "".
func StateHome(getenv func(string) string) string {
	if dir := getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return dir
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state")
	}
	return ""
}

// NewID returns the ID of a run started at t: its UTC time to the
// microsecond, so IDs sort in the order runs started, then the command and a
// random suffix ("20260102-150405.123456-exec-3fa2").
func NewID(t time.Time, command string) string {
	var b [2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return t.UTC().Format(idTimeLayout) + "-" + command + "-" + hex.EncodeToString(b[:])
}

// Store is a directory of run records, one file per run.
type Store struct {
	Dir string
}

// Save writes rec (atomically) and creates the directory if needed.
func (s Store) Save(rec *Record) error {
	if rec.ID == "" || strings.ContainsAny(rec.ID, `/\`) || strings.HasPrefix(rec.ID, ".") {
		return fmt.Errorf("run record: invalid id %q", rec.ID)
	}
	if rec.Version == 0 {
		rec.Version = FormatVersion
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("run record %s: %w", rec.ID, err)
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("run history: %w", err)
	}
	return WriteFileAtomic(filepath.Join(s.Dir, rec.ID+fileExt), append(data, '\n'), 0o600)
}

// IDs returns the IDs of the stored runs, oldest first.
func (s Store) IDs() ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("run history: %w", err)
	}
	var ids []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, fileExt) && !strings.HasPrefix(name, ".") {
			ids = append(ids, strings.TrimSuffix(name, fileExt))
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Load reads the record with this ID. The ID may also be a unique prefix or
// suffix of one (the random end, "3fa2"), "last" (the newest run) or
// "last~N" (the run N before the newest).
func (s Store) Load(id string) (*Record, error) {
	full, err := s.Resolve(id)
	if err != nil {
		return nil, err
	}
	return s.read(full)
}

// Resolve turns an ID as a user may write it (see Load) into a stored ID.
func (s Store) Resolve(id string) (string, error) {
	ids, err := s.IDs()
	if err != nil {
		return "", err
	}
	if n, ok := backFromLast(id); ok {
		if n >= len(ids) {
			return "", fmt.Errorf("%w: %q: the history holds %d runs; hint: remotectl runs list", ErrNotFound, id, len(ids))
		}
		return ids[len(ids)-1-n], nil
	}
	var matches []string
	for _, full := range ids {
		if full == id {
			return full, nil
		}
		if id != "" && (strings.HasPrefix(full, id) || strings.HasSuffix(full, id)) {
			matches = append(matches, full)
		}
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("%w: %q; hint: remotectl runs list shows the run IDs", ErrNotFound, id)
	case 1:
		return matches[0], nil
	}
	const shown = 10
	list := strings.Join(matches[:min(len(matches), shown)], ", ")
	if len(matches) > shown {
		list += fmt.Sprintf(" and %d more", len(matches)-shown)
	}
	return "", fmt.Errorf("%w: %q starts or ends %d run IDs: %s; hint: give more of the ID", ErrAmbiguous, id, len(matches), list)
}

// backFromLast parses "last" (0) and "last~N" (N).
func backFromLast(id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, "last")
	if !ok {
		return 0, false
	}
	if rest == "" {
		return 0, true
	}
	var n int
	if _, err := fmt.Sscanf(rest, "~%d", &n); err != nil || n < 0 || fmt.Sprintf("~%d", n) != rest {
		return 0, false
	}
	return n, true
}

func (s Store) read(id string) (*Record, error) {
	path := filepath.Join(s.Dir, id+fileExt)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
		}
		return nil, fmt.Errorf("run history: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("run record %s: %w; hint: remove the file if it is damaged", path, err)
	}
	if rec.Version > FormatVersion {
		return nil, fmt.Errorf("run record %s has format version %d, newer than this remotectl reads (%d); hint: upgrade remotectl", path, rec.Version, FormatVersion)
	}
	if rec.ID == "" {
		rec.ID = id
	}
	return &rec, nil
}

// List reads every stored record, oldest first. Records that cannot be read
// are left out and reported in the returned error, with the readable ones.
func (s Store) List() ([]*Record, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	var recs []*Record
	var errs []error
	for _, id := range ids {
		rec, err := s.read(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
	}
	return recs, errors.Join(errs...)
}

// Latest returns the newest real run (not a dry run) with this key,
// skipping the run exclude (usually the one being recorded), or an
// ErrNotFound error.
func (s Store) Latest(key, exclude string) (*Record, error) {
	return s.latestBefore(key, exclude, "")
}

// Previous returns the newest real run with rec's key older than rec, or
// an ErrNotFound error.
func (s Store) Previous(rec *Record) (*Record, error) {
	return s.latestBefore(rec.Key, rec.ID, rec.ID)
}

// latestBefore returns the newest record with key whose ID sorts before
// before ("" for no bound), skipping exclude and dry runs.
func (s Store) latestBefore(key, exclude, before string) (*Record, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		if id == exclude || (before != "" && id >= before) {
			continue
		}
		rec, err := s.read(id)
		if err != nil {
			continue // a damaged record is skipped here; runs list reports it
		}
		if rec.Key == key && !rec.DryRun {
			return rec, nil
		}
	}
	return nil, fmt.Errorf("%w: no earlier run of the same command in %s (dry runs do not count)", ErrNotFound, s.Dir)
}

// Prune removes the oldest records beyond the newest keep (keep <= 0 keeps
// them all), and those that started before now-maxAge (maxAge <= 0 keeps
// them whatever their age). It returns how many it removed.
func (s Store) Prune(keep int, maxAge time.Duration, now time.Time) (int, error) {
	ids, err := s.IDs()
	if err != nil {
		return 0, err
	}
	var doomed []string
	if keep > 0 && len(ids) > keep {
		doomed = append(doomed, ids[:len(ids)-keep]...)
		ids = ids[len(ids)-keep:]
	}
	if maxAge > 0 {
		cutoff := now.Add(-maxAge).UTC().Format(idTimeLayout)
		for _, id := range ids {
			if id < cutoff {
				doomed = append(doomed, id)
			}
		}
	}
	var errs []error
	removed := 0
	for _, id := range doomed {
		if err := os.Remove(filepath.Join(s.Dir, id+fileExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}
