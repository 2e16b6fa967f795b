package checks

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/remote"
)

// Entry is a check written from what a host is now, as goss add writes
// one: the properties goss add writes for the type, with the values seen.
type Entry struct {
	Type, ID string
	// Found: the resource exists (the file, package, user...), is running
	// (process) or listening (port); autoadd keeps only those.
	Found bool
	Props []Prop
}

// Prop is one property of an Entry: a bool, an int64, a string or a
// []string.
type Prop struct {
	Name  string
	Value any
}

// addProps are the properties goss add writes for a type, in goss's
// order (resource/*.go, New<Type>); nil for a type goss cannot add.
func addProps(typ string) []string {
	switch typ {
	case "file":
		return []string{"exists", "mode", "owner", "group", "linked-to", "filetype"}
	case "package":
		return []string{"installed", "versions"}
	case "service":
		return []string{"enabled", "running"}
	case "user":
		return []string{"exists", "uid", "gid", "groups", "home", "shell"}
	case "group":
		return []string{"exists", "gid"}
	case "port":
		return []string{"listening", "ip"}
	case "process":
		return []string{"running"}
	case "kernel-param":
		return []string{"value"}
	case "mount":
		return []string{"exists", "opts", "vfs-opts", "source", "filesystem"}
	case "interface":
		return []string{"exists", "addrs", "mtu"}
	case "command":
		return []string{"exit-status", "stdout", "stderr"}
	case "addr":
		return []string{"reachable"}
	case "dns":
		return []string{"resolvable", "addrs"}
	case "http":
		return []string{"status"}
	}
	return nil
}

// AddTypes are the types Current observes, as goss add names them.
func AddTypes() []string {
	return []string{"addr", "command", "dns", "file", "group", "http", "interface", "kernel-param",
		"mount", "package", "port", "process", "service", "user"}
}

// Current observes the resource typ id over exec as goss add does and
// returns its entry. exec may be nil for the types observed from the
// controller (addr, dns, http).
func Current(ctx context.Context, exec Executor, typ, id string, opts RunOptions) (*Entry, error) {
	props := addProps(typ)
	if props == nil {
		return nil, fmt.Errorf("cannot add %q checks: add one of %s", typ, strings.Join(AddTypes(), ", "))
	}
	id = gossID(typ, id)
	c, err := addCheck(typ, id, props)
	if err != nil {
		return nil, err
	}
	r := &hostRun{exec: exec, opts: opts.withDefaults()}
	o := r.observe(ctx, c)
	if o.err != "" {
		return nil, fmt.Errorf("%s %s: %s", typ, id, o.err)
	}
	e := &Entry{Type: typ, ID: id, Found: o.absent == ""}
	for _, p := range props {
		v, ok := o.values[p]
		if !ok || o.errs[p] != "" || (p == "linked-to" && v.s == "") {
			continue
		}
		if typ == "process" && p == "running" && !v.b {
			e.Found = false // goss autoadd adds a process that runs
		}
		e.Props = append(e.Props, Prop{p, addValue(v)})
	}
	if typ == "port" && !e.Found {
		e.Props = append(e.Props, Prop{"ip", []string{}}) // as goss writes it
	}
	if d := gossTimeout(typ); d > 0 {
		e.Props = append(e.Props, Prop{"timeout", d.Milliseconds()})
	}
	return e, nil
}

// gossID is an id as goss add writes it: a port with its network
// ("tcp:22"), an address with its scheme ("tcp://db:5432").
func gossID(typ, id string) string {
	switch {
	case typ == "port" && !strings.Contains(id, ":"):
		return "tcp:" + id
	case typ == "addr" && !strings.Contains(id, "://"):
		return "tcp://" + id
	}
	return id
}

// addCheck parses a check of the resource with the properties props
// (their matchers are not used: the values are read as observed).
func addCheck(typ, id string, props []string) (*Check, error) {
	body := make(map[string]any, len(props))
	for _, p := range props {
		body[p] = map[string]any{"and": []any{}} // any value
	}
	doc, err := yaml.Marshal(map[string]map[string]map[string]any{typ: {id: body}})
	if err != nil {
		return nil, err
	}
	s, err := Parse("add", doc)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", typ, id, err)
	}
	return s.Checks[0], nil
}

// observe observes a check's resource, as Run would.
func (r *hostRun) observe(ctx context.Context, c *Check) *observed {
	family := remote.OSUnknown
	if r.exec != nil {
		family = r.exec.OS()
	}
	switch {
	case c.Command != nil:
		if r.exec == nil {
			return failure("no connection to the host")
		}
		o, _ := runCommand(ctx, r.exec, c.Command, r.timeout(c), r.become)
		return o
	case gathered(c, family):
		if r.exec == nil {
			return failure("no connection to the host")
		}
		g := newGather(family)
		g.budget = r.timeout(c)
		eval := planHost(c, g)
		g.run(ctx, r.exec, r.become)
		return eval()
	}
	return r.netObserve(ctx, c)
}

// addValue is a value as goss add writes it: a command's output as its
// lines (a line starting with ! escaped, so that it is not read as "no
// line contains"), or "" when there is none.
func addValue(v value) any {
	switch v.kind {
	case kindBool:
		return v.b
	case kindInt:
		return v.n
	case kindList:
		return slices.Clone(v.list)
	case kindText:
		ls := lines(v.s)
		if len(ls) == 0 {
			return ""
		}
		for i, l := range ls {
			if strings.HasPrefix(l, "!") {
				ls[i] = `\` + l
			}
		}
		return ls
	}
	return v.s
}

// AutoAdd observes what name may be, as goss autoadd does: a file when it
// has a /, a group, a package, a port, a process (and the ports its
// processes listen on), a service and a user. It returns the entries of
// those found.
func AutoAdd(ctx context.Context, exec Executor, name string, opts RunOptions) ([]*Entry, error) {
	var types []string
	if strings.Contains(name, "/") {
		types = append(types, "file")
	}
	types = append(types, "group", "package", "port", "process", "service", "user")
	var out []*Entry
	for _, typ := range types {
		if typ == "port" && !isPortID(name) {
			continue
		}
		e, err := Current(ctx, exec, typ, name, opts)
		if err != nil {
			return nil, err
		}
		if !e.Found {
			continue
		}
		out = append(out, e)
		if typ == "process" {
			ports, err := processPorts(ctx, exec, name, opts)
			if err != nil {
				return nil, err
			}
			for _, p := range ports {
				pe, err := Current(ctx, exec, "port", p, opts)
				if err != nil {
					return nil, err
				}
				if pe.Found && !slices.ContainsFunc(out, func(e *Entry) bool { return e.Type == "port" && e.ID == p }) {
					out = append(out, pe)
				}
			}
		}
	}
	return out, nil
}

// isPortID reports whether s names a port as goss's port ids do: "22",
// "tcp:22", "udp6:53".
func isPortID(s string) bool {
	_, port, found := strings.Cut(s, ":")
	if !found {
		port = s
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}

// processPorts returns the ports the processes named comm listen on, as
// port ids ("tcp:80", "tcp6:80"), sorted.
func processPorts(ctx context.Context, exec Executor, comm string, opts RunOptions) ([]string, error) {
	if exec == nil || exec.OS() == remote.OSWindows {
		return nil, nil
	}
	r := &hostRun{exec: exec, opts: opts.withDefaults()}
	g := newGather(exec.OS())
	g.budget = r.opts.DefaultTimeout
	h := g.addCall("pports:"+comm, "_pports", comm)
	g.run(ctx, exec, r.become)
	out, problem := g.output(h, "listing the process's sockets (ss -p)")
	if problem != "" {
		return nil, fmt.Errorf("process %s: %s", comm, problem)
	}
	return parseProcessPorts(out), nil
}

// parseProcessPorts reads _pports's "NETID ADDR:PORT" lines.
func parseProcessPorts(b []byte) []string {
	var ids []string
	for _, l := range lines(string(b)) {
		f := strings.Fields(l)
		if len(f) != 2 || (f[0] != "tcp" && f[0] != "udp") {
			continue
		}
		host, port, err := net.SplitHostPort(f[1])
		if err != nil {
			continue
		}
		network := f[0]
		if strings.Contains(strings.Trim(host, "[]"), ":") {
			network += "6"
		}
		if id := network + ":" + port; !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
