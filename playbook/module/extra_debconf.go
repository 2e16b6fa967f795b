package module

import (
	"context"
	"strings"
)

func debconfModule() *Module {
	return &Module{Name: "debconf", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: []Param{
			{Name: "name", Aliases: []string{"pkg"}, Type: Str, Required: true},
			{Name: "question", Aliases: []string{"selection", "setting"}, Type: Str},
			{Name: "vtype", Type: Str, Choices: []string{"boolean", "error", "multiselect", "note", "password", "seen", "select", "string", "text", "title"}},
			{Name: "value", Aliases: []string{"answer"}, Type: Str},
			{Name: "unseen", Type: Bool, Default: false},
		},
		Run: runDebconf}
}

// debconfSelections is debconf.py's get_selections over debconf-show's
// output: "* question: value" lines.
func debconfSelections(out string) map[string]any {
	sel := map[string]any{}
	for _, line := range pyLineBreakRe.Split(out, -1) {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		sel[strings.TrimSpace(strings.Trim(key, "*"))] = strings.TrimSpace(value)
	}
	return sel
}

// runDebconf is debconf.py: debconf-show the package's questions, compare
// the question's value, and debconf-set-selections it when it differs.
func runDebconf(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	n := 0
	for _, k := range []string{"question", "vtype", "value"} {
		if a.Has(k) {
			n++
		}
	}
	if n != 0 && n != 3 {
		return Failed("parameters are required together: question, vtype, value"), nil
	}
	pkg, question, vtype, value := a.Str("name"), a.Str("question"), a.Str("vtype"), a.Str("value")
	s := newShSteps()
	s.line(`P="$PATH:/sbin:/usr/sbin:/usr/local/sbin"`)
	s.step("bin", `S=$(PATH=$P command -v debconf-show)`)
	s.line(`[ -n "$S" ] || exit 0`)
	s.step("show", `"$S" `+Quote(pkg))
	out, err := c.Host.Run(ctx, Command{Script: s.String()})
	if err != nil {
		return nil, err
	}
	steps := s.parse(out)
	if steps["bin"].RC != 0 {
		return Failed("Failed to find required executable \"debconf-show\" in paths: %s", "$PATH:/sbin:/usr/sbin:/usr/local/sbin"), nil
	}
	show, ok := steps["show"]
	if !ok || show.RC != 0 {
		return Failed("%s", show.Stderr+out.Stderr), nil
	}
	prev := debconfSelections(show.Stdout)
	changed := false
	if a.Has("question") {
		existing, seen := prev[question]
		switch {
		case !seen:
			changed = true
		case vtype == "boolean":
			value = strings.ToLower(value)
			changed = value != strings.ToLower(existing.(string))
		default:
			changed = value != existing
		}
	}
	if !changed {
		return Result{"changed": false, "msg": "", "current": prev}, nil
	}
	msg := ""
	if !c.Check {
		var fail Result
		if msg, fail, err = debconfSet(ctx, c, pkg, question, vtype, value); err != nil || fail != nil {
			return fail, err
		}
	}
	curr := map[string]any{question: value}
	if v, ok := prev[question]; ok {
		prev = map[string]any{question: v}
	} else {
		prev[question] = ""
	}
	diff := map[string]any{}
	if c.Diff {
		after := map[string]any{}
		for k, v := range prev {
			after[k] = v
		}
		after[question] = value
		diff = map[string]any{"before": prev, "after": after}
	}
	return Result{"changed": true, "msg": msg, "current": curr, "previous": prev, "diff": diff}, nil
}

// debconfSet is set_selection: "pkg question vtype value" on
// debconf-set-selections' stdin (-u with unseen).
func debconfSet(ctx context.Context, c *Call, pkg, question, vtype, value string) (string, Result, error) {
	if vtype == "boolean" {
		switch value {
		case "True":
			value = "true"
		case "False":
			value = "false"
		}
	}
	script := `S=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v debconf-set-selections) || { echo 'Failed to find required executable "debconf-set-selections"' >&2; exit 1; }; exec "$S"`
	if c.Args.Bool("unseen") {
		script += " -u"
	}
	out, err := c.Host.Run(ctx, Command{Script: script, Stdin: []byte(strings.Join([]string{pkg, question, vtype, value}, " "))})
	if err != nil {
		return "", nil, err
	}
	if out.RC != 0 {
		return "", Failed("%s", out.Stderr), nil
	}
	return out.Stdout, nil, nil
}
