package module

import (
	"context"
	"regexp"
	"slices"
	"strings"
)

func getentModule() *Module {
	return &Module{Name: "getent", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "database", Type: Str, Required: true},
			{Name: "key", Type: Str},
			{Name: "service", Type: Str},
			{Name: "split", Type: Str},
			{Name: "fail_key", Type: Bool, Default: true},
		},
		Run: runGetent}
}

// getentColonDBs are the databases split at ':' by default.
var getentColonDBs = []string{"passwd", "shadow", "group", "gshadow"}

// runGetent is getent.py: one getent command; its lines become the fact
// getent_<database>, keyed by their first field.
func runGetent(ctx context.Context, c *Call) (Result, error) {
	db, split := c.Args.Str("database"), c.Args.Str("split")
	if c.Args.Has("split") && split == "" {
		return Failed("empty separator"), nil
	}
	if !c.Args.Has("split") && slices.Contains(getentColonDBs, db) {
		split = ":"
	}
	script := `g=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v getent) || { echo 'getent not found' >&2; exit 127; }; exec "$g" ` + Quote(db)
	if c.Args.Has("key") {
		script += " " + Quote(c.Args.Str("key"))
	}
	if c.Args.Has("service") {
		script += " -s " + Quote(c.Args.Str("service"))
	}
	out, err := c.Host.Run(ctx, Command{Script: script})
	if err != nil {
		return nil, err
	}
	tree := "getent_" + db
	switch out.RC {
	case 0:
		return Result{"changed": false, "ansible_facts": map[string]any{tree: getentRecords(out.Stdout, split)}}, nil
	case 1:
		return Failed("Missing arguments, or database unknown."), nil
	case 2:
		msg := "One or more supplied key could not be found in the database."
		if !c.Args.Bool("fail_key") {
			return Result{"changed": false, "msg": msg,
				"ansible_facts": map[string]any{tree: map[string]any{c.Args.Str("key"): nil}}}, nil
		}
		return Failed("%s", msg), nil
	case 3:
		return Failed("Enumeration not supported on this database."), nil
	case 127:
		return Failed("Failed to find required executable \"getent\" in paths: %s", "$PATH:/sbin:/usr/sbin:/usr/local/sbin"), nil
	}
	return Failed("Unexpected failure!"), nil
}

// pyLineBreakRe are the line boundaries of Python's str.splitlines.
var pyLineBreakRe = regexp.MustCompile("\r\n|[\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029]")

// getentRecords splits getent's lines at split (white space when ""):
// the first field is the key; a key seen again turns its value into a list
// of records.
func getentRecords(out, split string) map[string]any {
	records := map[string]any{}
	seen := map[string]int{}
	lines := pyLineBreakRe.Split(out, -1)
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for _, line := range lines {
		var fields []string
		if split == "" {
			fields = strings.Fields(line)
		} else {
			fields = strings.Split(line, split)
		}
		if len(fields) == 0 {
			continue
		}
		rest := toAnyList(fields[1:])
		if rest == nil {
			rest = []any{}
		}
		key := fields[0]
		switch seen[key] {
		case 0:
			records[key] = rest
		case 1:
			records[key] = []any{records[key], rest}
		default:
			records[key] = append(records[key].([]any), rest)
		}
		seen[key]++
	}
	return records
}
