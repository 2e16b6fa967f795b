package plan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

// DefaultAddFile is the file check add writes without -F, as goss's
// ./goss.yaml.
const DefaultAddFile = "goss.yaml"

// DialCloser is a dialer that holds connections until closed.
type DialCloser interface {
	remote.Dialer
	Close() error
}

// Add is check add and check autoadd (goss add, goss autoadd, over a
// connection): it observes resources on the one host of targets, through a
// dialer dial returns, and writes them into the one file of files
// (DefaultAddFile when none; see checks.AddToFile), then prints what it
// added to out. cmd is how the command was called, "add" or "autoadd",
// then its arguments: TYPE NAME... for add, NAME... for autoadd. Several
// hosts or files, or a missing type or name, is a UsageError; a broken
// file an InputError; a host that cannot be observed an error.
func Add(ctx context.Context, dial func([]remote.Target) (DialCloser, error), targets []remote.Target, files, cmd []string, out io.Writer) error {
	file := DefaultAddFile
	switch {
	case len(files) > 1:
		return UsageError{Err: fmt.Errorf("check add writes one file, and -F names %d", len(files))}
	case len(files) == 1:
		file = files[0]
	}
	auto, args := len(cmd) > 0 && cmd[0] == "autoadd", cmd[min(1, len(cmd)):]
	if len(targets) != 1 {
		names := make([]string, len(targets))
		for i, t := range targets {
			names[i] = t.Name
		}
		return UsageError{Err: fmt.Errorf("check add observes one host, and -H selects %d (%s): select one, -H NAME", len(targets), nodeset.Fold(names))}
	}
	if len(args) == 0 {
		return UsageError{Err: errors.New("check autoadd needs a name: check autoadd NAME...")}
	}
	typ, names := "", args
	if !auto {
		if len(args) < 2 {
			return UsageError{Err: fmt.Errorf("check add needs a type and a name: check add TYPE NAME... (types: %s)", strings.Join(checks.AddTypes(), ", "))}
		}
		typ, names = args[0], args[1:]
		if !slices.Contains(checks.AddTypes(), typ) {
			return UsageError{Err: fmt.Errorf("check add cannot add %q checks: use one of %s", typ, strings.Join(checks.AddTypes(), ", "))}
		}
	}
	var exec checks.Executor
	if auto || !slices.Contains([]string{"addr", "dns", "http"}, typ) { // those are observed from the controller
		d, err := dial(targets)
		if err != nil {
			return err
		}
		defer d.Close()
		t, err := d.Dial(ctx, targets[0])
		if err != nil {
			return err
		}
		defer t.Close()
		exec = t
	}
	var entries []*checks.Entry
	for _, name := range names {
		found, err := observe(ctx, exec, typ, name)
		if err != nil {
			return fmt.Errorf("%s: %w", targets[0].Name, err)
		}
		entries = append(entries, found...)
	}
	if len(entries) == 0 {
		return errors.New("autoadd: nothing on " + targets[0].Name + " is named " + strings.Join(names, ", ") + " (no file, group, package, port, process, service or user)")
	}
	if err := checks.AddToFile(file, entries); err != nil {
		return InputError{Err: err}
	}
	text, err := checks.EntriesYAML(entries)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "# added to %s, as %s is now\n%s", file, targets[0].Name, text)
	return err
}

// observe returns the entry of typ name, or with typ "" (autoadd) those
// of whatever name is.
func observe(ctx context.Context, exec checks.Executor, typ, name string) ([]*checks.Entry, error) {
	if typ == "" {
		return checks.AutoAdd(ctx, exec, name, checks.RunOptions{})
	}
	e, err := checks.Current(ctx, exec, typ, name, checks.RunOptions{})
	if err != nil {
		return nil, err
	}
	return []*checks.Entry{e}, nil
}
