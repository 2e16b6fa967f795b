package playbook

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/playbook/module"
)

// taskKeys are the keywords a task may have besides its action.
var taskKeys = []string{"name", "when", "register", "ignore_errors", "retries", "until", "delay",
	"changed_when", "failed_when", "notify", "tags", "become", "become_user", "become_method", "timeout", "run_once", "loop",
	"with_items", "with_list", "args", "vars", "environment", "check_mode", "diff", "no_log", "loop_control",
	"listen", "ignore_unreachable", "any_errors_fatal", "throttle", "debugger", "collections", "connection",
	"remote_user", "delegate_facts", "module_defaults", "become_flags", "become_exe", "port", "async", "poll"}

// unsupportedTaskKeys are Ansible task keys remotectl does not implement.
var unsupportedTaskKeys = map[string]string{}

// allTaskKeywords are every keyword a task may carry, supported or not.
func allTaskKeywords() []string {
	keys := append([]string{}, taskKeys...)
	for k := range unsupportedTaskKeys {
		keys = append(keys, k)
	}
	return keys
}

// isLoopKey reports whether key is loop: or with_NAME:.
func isLoopKey(key string) bool {
	return key == "loop" || strings.HasPrefix(key, "with_") && len(key) > len("with_")
}

// isTaskKeyword reports whether key is a keyword rather than the action.
func isTaskKeyword(key string) bool {
	if slices.Contains(taskKeys, key) || strings.HasPrefix(key, "with_") && key != "with_" {
		return true
	}
	_, ok := unsupportedTaskKeys[key]
	return ok || key == "delegate_to"
}

// task reads one task: keywords and exactly one action.
func (p *parser) task(n *yaml.Node, s *scope) *Task {
	pairs := p.Mapping(n, "a task")
	if n.Kind != yaml.MappingNode {
		return nil
	}
	t := &Task{Pos: p.Pos(n), handler: s.handler, eng: p.eng}
	p.cur = s
	var actionKey, actionNode, argsNode *yaml.Node
	var candidates [][2]*yaml.Node
	for _, kv := range pairs {
		if kv[0].Value == "args" {
			argsNode = kv[1]
		}
		if !isTaskKeyword(kv[0].Value) {
			candidates = append(candidates, [2]*yaml.Node{kv[0], kv[1]})
		}
	}
	for _, kv := range candidates {
		k := kv[0]
		if len(candidates) > 1 && !isAction(k.Value) {
			p.Errorf(k, yamlnode.DidYouMean(k.Value, append(allTaskKeywords(), moduleNames()...)), "unknown task key %q", k.Value)
			continue
		}
		if actionKey != nil {
			p.Errorf(k, "split it into two tasks", "a task has one action; this one has %s and %s", actionKey.Value, k.Value)
			continue
		}
		actionKey, actionNode = k, kv[1]
	}
	// The loop comes first: item is only known in a task with a loop.
	for _, kv := range pairs {
		if isLoopKey(kv[0].Value) {
			if t.Loop != nil {
				p.Errorf(kv[0], "keep one of them", "a task has one loop")
				continue
			}
			t.Loop = p.loop(kv[1], kv[0].Value)
		}
	}
	for _, kv := range pairs {
		p.taskKey(t, kv[0], kv[1])
	}
	if actionKey == nil {
		p.Errorf(n, "add a module: command, copy, template, debug, ...", "the task %q has no action", t.Name)
		return nil
	}
	if actionKey.Value == "action" || actionKey.Value == "local_action" {
		if actionKey.Value == "local_action" {
			t.DelegateTo = &Text{Raw: "localhost", Pos: p.Pos(actionKey)}
		}
		if actionKey, actionNode = p.splitAction(actionKey, actionNode); actionKey == nil {
			return nil
		}
	}
	t.Key = actionKey.Value
	t.Action = p.action(actionKey, actionNode, argsNode)
	if t.Action == nil {
		return nil
	}
	p.checkAsync(t)
	if t.Until != nil && t.Retries == 0 {
		t.Retries = DefaultRetries
	}
	s.inherit(t)
	return t
}

// splitAction reads action: / local_action: — "module k=v ..." or a
// mapping with module: and the arguments — into the module's key and
// arguments, as if the task named the module.
func (p *parser) splitAction(k, n *yaml.Node) (*yaml.Node, *yaml.Node) {
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: n.Line, Column: n.Column}
	switch n.Kind {
	case yaml.ScalarNode:
		name, rest, _ := strings.Cut(strings.TrimSpace(n.Value), " ")
		if jinja.IsTemplate(name) {
			p.Errorf(n, "name the module: "+k.Value+": apt name=x", "%s: the module name cannot hold a template (remotectl checks every task's module before connecting)", k.Value)
			return nil, nil
		}
		key.Value = name
		args := *n
		args.Value = strings.TrimSpace(rest)
		args.Column += len(name) + 1
		return key, &args
	case yaml.MappingNode:
		args := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "module" {
				key.Value, key.Line, key.Column = n.Content[i+1].Value, n.Content[i+1].Line, n.Content[i+1].Column
				continue
			}
			args.Content = append(args.Content, n.Content[i], n.Content[i+1])
		}
		if key.Value != "" {
			return key, args
		}
	}
	p.Errorf(n, k.Value+": module arg=value ... or {module: copy, src: a, dest: b}", "%s needs a module", k.Value)
	return nil, nil
}

// isAction reports whether a task key names an action remotectl knows.
func isAction(key string) bool {
	short := shortAction(key)
	if _, ok := builtinSpecs[short]; ok {
		return true
	}
	if _, ok := module.Lookup(key); ok {
		return true
	}
	_, ok := lookupAction(short)
	return ok
}

// action reads a task's action: an action of the executor (debug,
// set_fact, assert, ...), a module of the registry, or one of the
// actions remotectl had before the registry (while the registry lacks
// it).
func (p *parser) action(k, n, argsNode *yaml.Node) Action {
	short := shortAction(k.Value)
	if _, ok := builtinSpecs[short]; ok {
		if argsNode != nil {
			p.Errorf(argsNode, "write the arguments under the action", "args: is not supported with %s", short)
		}
		return p.builtinAction(short, k, n)
	}
	if m, ok := module.Lookup(k.Value); ok {
		return p.moduleAction(m, k, n, argsNode)
	}
	if parse, ok := lookupAction(short); ok {
		return parse(p, legacyArgs(n, argsNode))
	}
	p.unknownModule(k)
	return nil
}

// legacyArgs turns free-form k=v arguments and args: into the mapping the
// executor's own actions (debug, fetch, check) read.
func legacyArgs(n, argsNode *yaml.Node) *yaml.Node {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "=") {
		opts, raw := parseKV(n.Value, false)
		if raw == "" {
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
			keys := slices.Sorted(maps.Keys(opts))
			for _, k := range keys {
				m.Content = append(m.Content,
					&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Line: n.Line, Column: n.Column},
					&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: opts[k].(string), Line: n.Line, Column: n.Column})
			}
			n = m
		}
	}
	if argsNode != nil && argsNode.Kind == yaml.MappingNode && n.Kind == yaml.MappingNode {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		have := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			have[n.Content[i].Value] = true
		}
		for i := 0; i+1 < len(argsNode.Content); i += 2 {
			if !have[argsNode.Content[i].Value] {
				m.Content = append(m.Content, argsNode.Content[i], argsNode.Content[i+1])
			}
		}
		m.Content = append(m.Content, n.Content...)
		n = m
	}
	return n
}

// taskKey reads one keyword of a task.
func (p *parser) taskKey(t *Task, k, v *yaml.Node) {
	switch k.Value {
	case "loop", "args", "debugger", "collections":
	case "become_flags":
		f := p.Str(v, "become_flags")
		t.BecomeFlags = &f
	case "async", "poll":
		p.asyncKeyword(t, k, v)
	case "throttle":
		t.Throttle = p.integer(v, "throttle")
	case "module_defaults":
		p.Errorf(k, "write the arguments on each task", "module_defaults is not supported by remotectl")
	case "any_errors_fatal":
		b := p.boolean(v, k.Value)
		t.AnyErrorsFatal = &b
	case "ignore_unreachable":
		t.IgnoreUnreachable, t.ignoreUnreachableSet = p.boolean(v, k.Value), true
	case "connection", "become_exe", "port", "remote_user":
		p.Errorf(k, "set it in the inventory for the host", "%s: on a task is not supported by remotectl", k.Value)
	case "name":
		t.Name = p.taskName(v, t.handler)
	case "when":
		t.When = p.condition(v, "when")
	case "until":
		t.Until = p.condition(v, "until")
	case "changed_when":
		t.ChangedWhen = p.condition(v, "changed_when")
	case "failed_when":
		t.FailedWhen = p.condition(v, "failed_when")
	case "register":
		t.Register = p.Str(v, "register")
		if !isIdentifier(t.Register) {
			p.Errorf(v, "letters, digits and _ only, not starting with a digit", "register: %q is not a usable variable name", t.Register)
		}
	case "ignore_errors", "no_log", "check_mode", "diff":
		if p.templatedKeyword(v) {
			p.checkTemplates(v)
			t.setKeywordTemplate(k.Value, Text{Raw: v.Value, Pos: p.Pos(v), eng: p.eng})
			return
		}
		p.taskBoolKeyword(t, k.Value, p.boolean(v, k.Value))
	case "retries", "delay":
		if v.Kind == yaml.ScalarNode && jinja.IsTemplate(v.Value) { // retries: "{{ x_retries }}", decided per host
			p.checkTemplates(v)
			t.setKeywordTemplate(k.Value, Text{Raw: v.Value, Pos: p.Pos(v), eng: p.eng})
		} else if k.Value == "retries" {
			t.Retries = p.integer(v, "retries")
		} else {
			t.Delay = p.duration(v, "delay")
		}
	case "notify":
		t.Notify = p.strList(v, "notify")
	case "listen":
		t.Listen = p.strList(v, "listen")
	case "tags":
		t.Tags = p.strList(v, "tags")
		for _, tag := range t.Tags {
			if !slices.Contains(p.tags, tag) {
				p.tags = append(p.tags, tag)
			}
		}
	case "become":
		if p.templatedKeyword(v) { // become: "{{ role_become }}", decided per host
			p.checkTemplates(v)
			t.setKeywordTemplate(k.Value, Text{Raw: v.Value, Pos: p.Pos(v), eng: p.eng})
			return
		}
		b := p.boolean(v, "become")
		t.Become = &b
	case "become_user":
		t.BecomeUser = p.Str(v, "become_user")
	case "become_method":
		t.BecomeMethod = p.becomeMethod(v)
	case "timeout":
		t.Timeout = p.duration(v, "timeout")
	case "run_once":
		t.RunOnce, t.runOnceSet = p.boolean(v, "run_once"), true
	case "vars":
		t.Vars = p.varsMap(v, "vars")
	case "environment":
		p.checkTemplates(v)
		t.Environment = append(t.Environment, p.value(v))
	case "loop_control":
		t.LoopControl = p.loopControl(v)
	case "delegate_to":
		txt := p.textNode(v, "delegate_to")
		t.DelegateTo = &txt
	case "delegate_facts":
		t.DelegateFacts = p.boolean(v, "delegate_facts")
	default:
		if hint, ok := unsupportedTaskKeys[k.Value]; ok {
			p.Errorf(k, hint, "task: %q is not supported by remotectl", k.Value)
		}
	}
}

// loopControl reads loop_control.
func (p *parser) loopControl(n *yaml.Node) LoopControl {
	lc := LoopControl{LoopVar: "item"}
	for _, kv := range p.Mapping(n, "loop_control") {
		switch kv[0].Value {
		case "loop_var":
			lc.LoopVar = p.Str(kv[1], "loop_var")
		case "index_var":
			lc.IndexVar = p.Str(kv[1], "index_var")
		case "label":
			p.checkTemplates(kv[1])
			lc.Label = p.value(kv[1])
		case "pause":
			lc.Pause = p.duration(kv[1], "pause")
		case "extended":
			lc.Extended = p.boolean(kv[1], "extended")
		case "extended_allitems":
		default:
			p.Errorf(kv[0], yamlnode.DidYouMean(kv[0].Value, []string{"loop_var", "index_var", "label", "pause", "extended"}),
				"unknown loop_control key %q", kv[0].Value)
		}
	}
	return lc
}

// taskName reads a task's name. A name holding a template is rendered
// with the play's vars, as Ansible shows it; one that reads other
// variables is shown as written, as is a handler's (notify names it).
func (p *parser) taskName(n *yaml.Node, handler bool) string {
	name := p.Str(n, "name")
	if !jinja.IsTemplate(name) {
		return name
	}
	if err := p.eng.Check(name); err != nil {
		p.Errs = append(p.Errs, templateError(p.srcPos(n), "bad template: ", err))
		return name
	}
	v, err := p.eng.Render(name, p.playVars)
	if err != nil || handler {
		return name
	}
	return jinja.String(v)
}

// condition reads a when/until/changed_when/failed_when: a boolean, one
// expression, or a list of them that must all hold (as Ansible's).
func (p *parser) condition(n *yaml.Node, what string) *Cond {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == yamlnode.TagBool:
		return &Cond{Src: strings.ToLower(n.Value), Pos: p.Pos(n), value: p.boolean(n, what), eng: p.eng}
	case n.Kind == yaml.SequenceNode:
		c := &Cond{Pos: p.Pos(n), eng: p.eng}
		var items []any
		var srcs []string
		for _, item := range p.Sequence(n, what) {
			sub := p.condition(item, what)
			if sub == nil {
				continue
			}
			items, srcs = append(items, sub.value), append(srcs, sub.Src)
			for _, name := range sub.Names {
				if !c.hasName(name) {
					c.Names = append(c.Names, name)
				}
			}
		}
		if len(items) == 0 {
			return nil
		}
		c.value, c.Src = items, strings.Join(srcs, " and ")
		return c
	}
	src := p.Str(n, what)
	if src == "" {
		return nil
	}
	return p.compileExpr(src, p.srcPos(n), p.eng)
}

// scalarColumn is the column of a scalar's first character, inside its
// quotes when it is quoted.
func scalarColumn(n *yaml.Node) int {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return n.Column + 1
	}
	return n.Column
}

// loop reads loop: or with_NAME: — its terms, templated when the task
// runs.
func (p *parser) loop(n *yaml.Node, key string) *Loop {
	l := &Loop{Kind: strings.TrimPrefix(key, "with_"), Pos: p.Pos(n)}
	if key == "loop" {
		l.Kind = ""
	} else if _, ok := loopPlugins[l.Kind]; !ok {
		p.Errorf(n, "write loop: with a list or a template producing one", "%s: remotectl does not implement the lookup plugin %q", key, l.Kind)
		return nil
	}
	p.checkTemplates(n)
	l.Terms = p.value(n)
	if s, ok := l.Terms.(string); ok && key == "loop" && !jinja.IsTemplate(s) {
		p.Errorf(n, fmt.Sprintf("write a list, or a template producing one: %s: \"{{ %s }}\"", key, s),
			"%s needs a list, not the string %q", key, s)
		return nil
	}
	return l
}

// textNode reads a scalar into a Text.
func (p *parser) textNode(n *yaml.Node, what string) Text {
	return p.text(p.Str(n, what), p.Pos(n), p.srcPos(n), p.eng)
}

// params reads an action's mapping form, checking its keys.
func (p *parser) params(n *yaml.Node, action string, keys []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, kv := range p.Mapping(n, action) {
		if !slices.Contains(keys, kv[0].Value) {
			p.Errorf(kv[0], yamlnode.DidYouMean(kv[0].Value, keys), "unknown %s parameter %q", action, kv[0].Value)
			continue
		}
		out[kv[0].Value] = kv[1]
	}
	return out
}

func isIdentifier(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// nodeText returns the source lines of n alone, every other line blank and
// the columns before n on its first line spaces, so that a parser of n's
// content reports positions of the original file.
func nodeText(data []byte, n *yaml.Node) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	first, last := n.Line, lastLine(n)
	var b bytes.Buffer
	for i, line := range lines {
		ln := i + 1
		switch {
		case ln < first || ln > last:
			b.WriteByte('\n')
		case ln == first:
			col := min(n.Column-1, len(line))
			b.Write(bytes.Repeat([]byte(" "), col))
			b.Write(line[col:])
		default:
			b.Write(line)
		}
	}
	return b.Bytes()
}

// lastLine is the last line n's text occupies.
func lastLine(n *yaml.Node) int {
	last := n.Line
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		last += strings.Count(n.Value, "\n") + 1
	}
	for _, c := range n.Content {
		last = max(last, lastLine(c))
	}
	return last
}

// errorfAt records an error at a position string.
func (p *parser) errorfAt(pos, hint, format string, args ...any) {
	p.Errs = append(p.Errs, &ParseError{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// taskBoolKeyword sets one of the boolean keywords that a template may
// also give.
func (p *parser) taskBoolKeyword(t *Task, key string, b bool) {
	switch key {
	case "ignore_errors":
		t.IgnoreErrors, t.ignoreErrorsSet = b, true
	case "no_log":
		t.NoLog, t.noLogSet = b, true
	case "check_mode":
		t.CheckMode = &b
	case "diff":
		t.Diff = &b
	}
}

// setKeywordTemplate records a boolean keyword written as a template.
func (t *Task) setKeywordTemplate(key string, tmpl Text) {
	if t.kwTemplates == nil {
		t.kwTemplates = map[string]Text{}
	}
	t.kwTemplates[key] = tmpl
	switch key { // the task's own, over its scope's
	case "ignore_errors":
		t.ignoreErrorsSet = true
	case "no_log":
		t.noLogSet = true
	}
}

// ownsKeyword reports whether the task sets a boolean keyword itself.
func (t *Task) ownsKeyword(key string) bool {
	switch key {
	case "ignore_errors":
		return t.ignoreErrorsSet
	case "no_log":
		return t.noLogSet
	case "check_mode":
		return t.CheckMode != nil
	case "diff":
		return t.Diff != nil
	case "become":
		return t.Become != nil
	}
	return false
}
