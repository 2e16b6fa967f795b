package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/remotectl/remotectl/internal/omap"
)

// Limits on what a dynamic-inventory executable may print.
const (
	maxScriptOutput = 512 << 20 // bytes of JSON
	stderrExcerpt   = 1024      // bytes of stderr shown in errors
)

// errScriptTimeout is the cause of the context of a dynamic inventory that
// ran out of ScriptTimeout.
var errScriptTimeout = errors.New("dynamic inventory timeout")

// runScript runs a dynamic-inventory executable with args and returns its
// standard output. The executable leads a process group of its own, killed
// whole when ctx ends and once it has exited, so that nothing it started
// outlives it. Failures name the command, its exit status and the end of
// its standard error.
func runScript(ctx context.Context, path string, opts LoadOptions, args ...string) ([]byte, error) {
	abs, err := filepath.Abs(path) // never let exec search $PATH for a relative name
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, abs, args...)
	cmd.Dir = filepath.Dir(abs)
	cmd.WaitDelay = time.Second // do not wait for grandchildren holding the pipes
	startProcessGroup(cmd)
	stdout := &cappedBuffer{max: maxScriptOutput}
	stderr := &tailBuffer{max: stderrExcerpt}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	killProcessGroup(cmd) // what it left running in the background
	what := fmt.Sprintf("dynamic inventory (run with %s)", strings.Join(args, " "))
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, stoppedError(ctx, path, what, opts)
	case errors.As(err, &exitErr):
		msg := fmt.Sprintf("%s exited with status %d", what, exitErr.ExitCode())
		if excerpt := stderr.String(); excerpt != "" {
			msg += ":\n\t" + strings.ReplaceAll(excerpt, "\n", "\n\t")
		}
		return nil, &Error{Pos: Pos{File: path}, Msg: msg}
	case err != nil:
		return nil, &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf("cannot run %s: %v", what, err),
			Hint: "an executable inventory must be a program (e.g. starting with #!/usr/bin/env python3); remove the execute bit from a static file"}
	case stdout.overflow:
		return nil, &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf("%s printed more than %d MiB", what, maxScriptOutput>>20)}
	}
	return stdout.Bytes(), nil
}

// stoppedError tells why a dynamic inventory was stopped: it ran out of
// ScriptTimeout, or its caller's context ended (an interruption, a
// deadline), which the error wraps.
func stoppedError(ctx context.Context, path, what string, opts LoadOptions) error {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errScriptTimeout):
		hint := opts.ScriptTimeoutHint
		if hint == "" {
			hint = "make the script faster or raise the script timeout"
		}
		return &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf("%s did not finish within %s", what, opts.ScriptTimeout), Hint: hint}
	case errors.Is(cause, context.Canceled):
		return &Error{Pos: Pos{File: path}, Msg: what + " was interrupted", Err: cause}
	case errors.Is(cause, context.DeadlineExceeded):
		return &Error{Pos: Pos{File: path}, Msg: what + " was stopped: deadline exceeded", Err: cause}
	}
	return &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf("%s was stopped: %v", what, cause), Err: cause}
}

// cappedBuffer keeps at most max bytes and notes when more were written.
type cappedBuffer struct {
	bytes.Buffer
	max      int
	overflow bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.overflow = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	buf []byte
	max int
	cut bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	return len(p), nil
}

// String returns the kept text, trimmed, marked when its start was cut.
func (t *tailBuffer) String() string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.buf), "?"))
	if t.cut && s != "" {
		s = "..." + s
	}
	return s
}

// dynamicLoader loads the JSON of Ansible's dynamic-inventory contract:
//
//	{"web": {"hosts": ["a", "b"], "vars": {...}, "children": ["x"]},
//	 "db": ["c", "d"],
//	 "_meta": {"hostvars": {"a": {...}}}}
type dynamicLoader struct {
	b    *builder
	file string
	// hostVars fetches one host's variables ("--host NAME") when the output
	// has no _meta.hostvars; nil for saved output, where hosts get none.
	hostVars func(host string) ([]byte, error)
}

// loadDynamicJSON loads dynamic-inventory JSON.
func loadDynamicJSON(b *builder, file string, data []byte, hostVars func(string) ([]byte, error)) error {
	l := dynamicLoader{b: b, file: file, hostVars: hostVars}
	if err := checkJSON(file, data); err != nil {
		return err
	}
	entries, err := orderedObject(data)
	if err != nil {
		return l.errorf("the output must be a JSON object of groups, got %s", jsonKind(data))
	}
	var meta json.RawMessage
	haveMeta := false
	for _, e := range entries {
		if e.key == "_meta" {
			meta, haveMeta = e.raw, true
			continue
		}
		if err := l.group(e.key, e.raw); err != nil {
			return err
		}
	}
	return l.hostVariables(meta, haveMeta)
}

// errorf returns an *Error about the file as a whole.
func (l *dynamicLoader) errorf(format string, args ...any) *Error {
	return errorf(Pos{File: l.file}, format, args...)
}

// jsonEntry is one key of a JSON object, in document order.
type jsonEntry struct {
	key string
	raw json.RawMessage
}

// orderedObject returns the entries of a JSON object in document order
// (encoding/json maps lose it, and group order is definition order).
func orderedObject(data []byte) ([]jsonEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var out []jsonEntry
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, jsonEntry{key, raw})
	}
	return out, nil
}

// checkJSON reports invalid JSON with its offset, line and column.
func checkJSON(file string, data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v)
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		return errorf(Pos{File: file}, "invalid JSON: %v", err)
	}
	line, col := lineCol(data, int(syn.Offset))
	return errorf(Pos{File: file, Line: line, Col: col}, "invalid JSON at offset %d: %v", syn.Offset, err).
		withHint("a dynamic inventory must print only JSON on standard output (log to standard error)")
}

// lineCol converts a byte offset (just past the problem, as encoding/json
// reports it) into a 1-based line and column.
func lineCol(data []byte, offset int) (int, int) {
	offset = min(max(offset-1, 0), len(data))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := offset - bytes.LastIndexByte(before, '\n')
	return line, col
}

// jsonKind names the kind of a JSON value for messages.
func jsonKind(raw []byte) string {
	switch s := bytes.TrimSpace(raw); {
	case len(s) == 0:
		return "nothing"
	case s[0] == '{':
		return "an object"
	case s[0] == '[':
		return "a list"
	case s[0] == '"':
		return "a string"
	case bytes.Equal(s, []byte("null")):
		return "null"
	}
	return "a " + strings.SplitN(string(bytes.TrimSpace(raw)), "\n", 2)[0]
}

// dynGroup is a group entry in its object form.
type dynGroup struct {
	Hosts    json.RawMessage `json:"hosts"`
	Vars     json.RawMessage `json:"vars"`
	Children json.RawMessage `json:"children"`
}

// group loads one group entry: a list of hosts, or {hosts, vars, children},
// or (Ansible's shorthand) an object of variables for a host named after
// the group.
func (l *dynamicLoader) group(name string, raw json.RawMessage) error {
	if name == "" {
		return l.errorf("a group has an empty name")
	}
	g := l.b.group(name, Pos{File: l.file})
	var d dynGroup
	switch trimmed := bytes.TrimSpace(raw); {
	case len(trimmed) > 0 && trimmed[0] == '[':
		d.Hosts = raw
	case len(trimmed) > 0 && trimmed[0] == '{':
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			return l.errorf("group %q: %v", name, err)
		}
		_, h := keys["hosts"]
		_, v := keys["vars"]
		_, c := keys["children"]
		if !h && !v && !c {
			d.Hosts, d.Vars = json.RawMessage(fmt.Sprintf("[%q]", name)), raw
		} else if err := json.Unmarshal(raw, &d); err != nil {
			return l.errorf("group %q: %v", name, err)
		}
	default:
		return l.errorf("group %q must be a list of hosts or an object with hosts, vars and children, got %s", name, jsonKind(raw))
	}
	if err := l.groupHosts(g, d.Hosts); err != nil {
		return err
	}
	if err := l.groupVars(g, d.Vars); err != nil {
		return err
	}
	return l.groupChildren(g, d.Children)
}

// names decodes a list of names (null is empty).
func (l *dynamicLoader) names(raw json.RawMessage, what string) ([]string, error) {
	if len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return nil, l.errorf("%s must be a list of names, got %s", what, jsonKind(raw))
	}
	for _, n := range names {
		if n == "" {
			return nil, l.errorf("%s has an empty name", what)
		}
	}
	return names, nil
}

// groupHosts adds a group's hosts.
func (l *dynamicLoader) groupHosts(g *groupDef, raw json.RawMessage) error {
	names, err := l.names(raw, fmt.Sprintf("hosts of group %q", g.name))
	if err != nil {
		return err
	}
	for _, n := range names {
		hi, err := l.b.host(n, Pos{File: l.file}, true)
		if err != nil {
			return err
		}
		l.b.addMember(g, hi)
	}
	return nil
}

// groupVars sets a group's variables.
func (l *dynamicLoader) groupVars(g *groupDef, raw json.RawMessage) error {
	vars, err := l.object(raw, fmt.Sprintf("vars of group %q", g.name))
	if err != nil {
		return err
	}
	for _, e := range vars {
		if err := l.b.ansibleGroupVar(g, e.key, e.val, Pos{File: l.file}); err != nil {
			return err
		}
	}
	return nil
}

// groupChildren links a group's children, creating them if needed.
func (l *dynamicLoader) groupChildren(g *groupDef, raw json.RawMessage) error {
	names, err := l.names(raw, fmt.Sprintf("children of group %q", g.name))
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := l.b.link(g, l.b.group(n, Pos{File: l.file}), Pos{File: l.file}); err != nil {
			return err
		}
	}
	return nil
}

// jsonVar is one decoded variable.
type jsonVar struct {
	key string
	val any
}

// object decodes a JSON object of variables (null is empty), in order.
func (l *dynamicLoader) object(raw json.RawMessage, what string) ([]jsonVar, error) {
	if len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	entries, err := orderedObject(raw)
	if err != nil {
		return nil, l.errorf("%s must be an object, got %s", what, jsonKind(raw))
	}
	out := make([]jsonVar, 0, len(entries))
	for _, e := range entries {
		v, err := l.decodeValue(e.raw)
		if err != nil {
			return nil, l.errorf("%s: %v", what, err)
		}
		out = append(out, jsonVar{e.key, v})
	}
	return out, nil
}

// hostVariables applies host variables from _meta.hostvars, or from running
// the executable with --host for each host when there is no _meta.hostvars.
func (l *dynamicLoader) hostVariables(meta json.RawMessage, haveMeta bool) error {
	var m struct {
		HostVars map[string]json.RawMessage `json:"hostvars"`
	}
	if haveMeta {
		if err := json.Unmarshal(meta, &m); err != nil {
			return l.errorf("_meta must be an object with hostvars, got %s", jsonKind(meta))
		}
	}
	fromMeta := m.HostVars != nil
	if !fromMeta && l.hostVars == nil {
		return nil
	}
	src := len(l.b.sources) - 1
	for hi, h := range l.b.hosts {
		if h.source != src {
			continue
		}
		var raw json.RawMessage
		if fromMeta {
			raw = m.HostVars[h.name]
		} else {
			out, err := l.hostVars(h.name)
			if err != nil {
				return err
			}
			if err := checkJSON(l.file+" --host "+h.name, out); err != nil {
				return err
			}
			raw = out
		}
		vars, err := l.object(raw, fmt.Sprintf("variables of host %q", h.name))
		if err != nil {
			return err
		}
		for _, v := range vars {
			if err := l.b.ansibleHostVar(int32(hi), v.key, v.val, Pos{File: l.file}, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeValue decodes a variable's JSON value: objects as *omap.Map in
// their order with LoadOptions.OrderedDicts, else as decodeJSONValue.
func (l *dynamicLoader) decodeValue(raw json.RawMessage) (any, error) {
	if l.b.ordered {
		return omap.DecodeJSON(raw)
	}
	return decodeJSONValue(raw)
}

// decodeJSONValue decodes a JSON value into plain Go values, with integers as
// int and other numbers as float64.
func decodeJSONValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeJSON(v), nil
}

// normalizeJSON converts json.Number values.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalizeJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeJSON(x[k])
		}
	}
	return v
}
