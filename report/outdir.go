package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// outDir writes each host's results to <dir>/<host>/{stdout,stderr,exit,error}
// as they arrive. Only the hosts in flight have files open.
type outDir struct {
	root  string
	names map[string]bool // directory names taken
	hosts map[int]*hostFiles
}

// hostFiles are the open output files of one host.
type hostFiles struct {
	dir            string
	stdout, stderr *os.File
}

func newOutDir(root string) *outDir {
	return &outDir{root: root, names: make(map[string]bool), hosts: make(map[int]*hostFiles)}
}

func (o *outDir) start(i int, h *HostRecord) error {
	_, err := o.open(i, h.Name)
	return o.wrap(err)
}

func (o *outDir) output(i int, h *HostRecord, stream remote.Stream, data []byte) error {
	f, err := o.open(i, h.Name)
	if err != nil {
		return o.wrap(err)
	}
	w := f.stdout
	if stream == remote.Stderr {
		w = f.stderr
	}
	_, err = w.Write(data)
	return o.wrap(err)
}

// wrap names the output directory in an error (nil stays nil).
func (o *outDir) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("output directory %s: %w", o.root, err)
}

// done closes the host's output files and writes "exit" and "error".
func (o *outDir) done(i int, h *HostRecord) error {
	f, err := o.open(i, h.Name)
	if err != nil {
		return o.wrap(err)
	}
	delete(o.hosts, i)
	err = errors.Join(f.stdout.Close(), f.stderr.Close())
	exit := strconv.Itoa(h.Result.ExitCode)
	if h.Err != nil || h.Result.Signal != "" {
		exit = h.label()
	}
	err = errors.Join(err, os.WriteFile(filepath.Join(f.dir, "exit"), []byte(exit+"\n"), 0o644))
	if h.Err != nil {
		msg := h.Err.Error() + "\n"
		if hint := remote.HintOf(h.Err); hint != "" {
			msg += "hint: " + hint + "\n"
		}
		err = errors.Join(err, os.WriteFile(filepath.Join(f.dir, "error"), []byte(msg), 0o644))
	}
	return o.wrap(err)
}

func (o *outDir) finish(*Summary) error { return nil }

// open returns the host's files, creating its directory and files the first
// time.
func (o *outDir) open(i int, name string) (*hostFiles, error) {
	if f := o.hosts[i]; f != nil {
		return f, nil
	}
	dir := filepath.Join(o.root, o.dirName(name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		return nil, err
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		stdout.Close()
		return nil, err
	}
	f := &hostFiles{dir: dir, stdout: stdout, stderr: stderr}
	o.hosts[i] = f
	return f, nil
}

// dirName returns a directory name for a host that is safe on any file
// system and not taken by another host.
func (o *outDir) dirName(host string) string {
	base := SafeName(host)
	name := base
	for n := 2; o.names[strings.ToLower(name)]; n++ {
		name = base + "~" + strconv.Itoa(n)
	}
	o.names[strings.ToLower(name)] = true // case-insensitive file systems
	return name
}

// SafeName turns a host name into a file name: path separators, control
// characters and characters Windows forbids become "_", and names made of
// dots only ("." and "..") have their dots replaced too.
func SafeName(host string) string {
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, host)
	switch {
	case name == "":
		return "_"
	case strings.Trim(name, ".") == "":
		return strings.Repeat("_", len(name))
	}
	return name
}
