package module

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// expandUser expands a leading ~ or ~user in the named path arguments,
// as Ansible's type='path' does on the host (expanduser): one command,
// only when an argument starts with ~. It returns the call with its own
// copy of the arguments.
func expandUser(ctx context.Context, c *Call, names ...string) (*Call, error) {
	var script strings.Builder
	var todo []string
	for _, n := range names {
		for i, p := range pathValues(c.Args[n]) {
			if !strings.HasPrefix(p, "~") {
				continue
			}
			user, _, _ := strings.Cut(p[1:], "/")
			id := fmt.Sprintf("%s.%d", n, i)
			todo = append(todo, id)
			if user == "" {
				fmt.Fprintf(&script, "printf '%s\\t%%s\\n' \"$HOME\"\n", id)
			} else {
				fmt.Fprintf(&script, "printf '%s\\t%%s\\n' \"$(getent passwd %s | cut -d: -f6)\"\n", id, Quote(user))
			}
		}
	}
	if len(todo) == 0 {
		return c, nil
	}
	out, err := c.Host.Run(ctx, Command{Script: script.String()})
	if err != nil {
		return nil, err
	}
	homes := map[string]string{}
	for _, line := range strings.Split(out.Stdout, "\n") {
		if id, home, ok := strings.Cut(line, "\t"); ok && home != "" {
			homes[id] = home
		}
	}
	args := Args{}
	for k, v := range c.Args {
		args[k] = v
	}
	for _, n := range names {
		switch v := args[n].(type) {
		case string:
			args[n] = withHome(v, homes[n+".0"])
		case []any:
			l := make([]any, len(v))
			for i, e := range v {
				l[i] = e
				if s, ok := e.(string); ok {
					l[i] = withHome(s, homes[fmt.Sprintf("%s.%d", n, i)])
				}
			}
			args[n] = l
		}
	}
	sub := *c
	sub.Args = args
	return &sub, nil
}

func pathValues(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i], _ = e.(string)
		}
		return out
	}
	return nil
}

// withHome replaces ~ or ~user by home (left as is when unknown).
func withHome(p, home string) string {
	if home == "" || !strings.HasPrefix(p, "~") {
		return p
	}
	_, rest, found := strings.Cut(p, "/")
	if !found {
		return home
	}
	return strings.TrimSuffix(home, "/") + "/" + rest
}

// controllerHome expands ~/ in a path on the controller (a src the
// controller reads).
func controllerHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return withHome(p, home)
		}
	}
	return p
}

// withHomes wraps a Run so that the named path arguments are expanded
// first.
func withHomes(run func(context.Context, *Call) (Result, error), names ...string) func(context.Context, *Call) (Result, error) {
	return func(ctx context.Context, c *Call) (Result, error) {
		c, err := expandUser(ctx, c, names...)
		if err != nil {
			return nil, err
		}
		return run(ctx, c)
	}
}
