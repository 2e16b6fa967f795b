package playbook

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// taskKeys are the keywords a task may have besides its action.
var taskKeys = []string{"name", "when", "register", "ignore_errors", "retries", "until", "delay",
	"changed_when", "failed_when", "notify", "tags", "become", "become_user", "timeout", "run_once", "loop",
	"with_items", "with_list"}

// unsupportedTaskKeys are Ansible task keys remotectl does not implement.
var unsupportedTaskKeys = map[string]string{
	"args":             "write the action's arguments in its own mapping: shell: {cmd: ..., creates: ...}",
	"block":            "write the tasks one after the other",
	"include_tasks":    "write the tasks in this playbook",
	"import_tasks":     "write the tasks in this playbook",
	"delegate_to":      "run the task on that host in a play of its own",
	"local_action":     "use wait_for or a play on localhost",
	"loop_control":     "the loop variable is always item",
	"environment":      "set variables in the command: shell: FOO=bar cmd",
	"check_mode":       "remotectl play --check runs only read-only actions",
	"listen":           "notify handlers by name",
	"any_errors_fatal": "use the play's max_fail: 0",
}

// tasks reads a list of tasks (or handlers).
func (p *parser) tasks(n *yaml.Node, known *knownNames, handlers bool) []*Task {
	what := "tasks"
	if handlers {
		what = "handlers"
	}
	var out []*Task
	seen := map[string]bool{}
	for _, item := range p.Sequence(n, what) {
		t := p.task(item, known, handlers)
		if t == nil {
			continue
		}
		if handlers {
			if t.Name == "" {
				p.Errorf(item, "notify: names handlers by their name", "a handler needs a name:")
			} else if seen[t.Name] {
				p.Errorf(item, "give each handler its own name", "two handlers are called %q", t.Name)
			}
			seen[t.Name] = true
		}
		out = append(out, t)
	}
	return out
}

// task reads one task: keywords and exactly one action.
func (p *parser) task(n *yaml.Node, known *knownNames, handler bool) *Task {
	pairs := p.Mapping(n, "a task")
	if n.Kind != yaml.MappingNode {
		return nil
	}
	t := &Task{Pos: p.Pos(n), handler: handler}
	var actionKey, actionNode *yaml.Node
	for _, kv := range pairs {
		k := kv[0]
		if _, ok := lookupAction(k.Value); !ok {
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
		switch kv[0].Value {
		case "loop", "with_list", "with_items":
			if t.Loop != nil {
				p.Errorf(kv[0], "keep one of them", "a task has one loop")
				continue
			}
			t.Loop = p.loop(kv[1], kv[0].Value, known)
			known = known.with("item")
		}
	}
	for _, kv := range pairs {
		p.taskKey(t, kv[0], kv[1], known)
	}
	if actionKey == nil {
		p.Errorf(n, "add one of: "+strings.Join(actionKinds, ", "), "the task %q has no action", t.Name)
		return nil
	}
	parse, _ := lookupAction(actionKey.Value)
	t.Action = parse(p, actionNode, known)
	if t.Action == nil {
		return nil
	}
	if t.Until != nil && t.Retries == 0 {
		t.Retries = DefaultRetries
	}
	return t
}

// taskKey reads one keyword of a task.
func (p *parser) taskKey(t *Task, k, v *yaml.Node, known *knownNames) {
	switch k.Value {
	case "loop", "with_list", "with_items":
	case "name":
		t.Name = p.taskName(v, t.handler)
	case "when":
		t.When = p.condition(v, "when", known)
	case "until":
		t.Until = p.condition(v, "until", known)
	case "changed_when":
		t.ChangedWhen = p.condition(v, "changed_when", known)
	case "failed_when":
		t.FailedWhen = p.condition(v, "failed_when", known)
	case "register":
		t.Register = p.Str(v, "register")
		if !isIdentifier(t.Register) {
			p.Errorf(v, "letters, digits and _ only, not starting with a digit", "register: %q is not a usable variable name", t.Register)
		}
	case "ignore_errors":
		t.IgnoreErrors = p.boolean(v, "ignore_errors")
	case "retries":
		t.Retries = p.integer(v, "retries")
	case "delay":
		t.Delay = p.duration(v, "delay")
	case "notify":
		t.Notify = p.strList(v, "notify")
	case "tags":
		t.Tags = p.strList(v, "tags")
		for _, tag := range t.Tags {
			if !slices.Contains(p.tags, tag) {
				p.tags = append(p.tags, tag)
			}
		}
	case "become":
		b := p.boolean(v, "become")
		t.Become = &b
	case "become_user":
		t.BecomeUser = p.Str(v, "become_user")
	case "timeout":
		t.Timeout = p.duration(v, "timeout")
	case "run_once":
		t.RunOnce = p.boolean(v, "run_once")
	default:
		if _, ok := lookupAction(k.Value); !ok {
			p.unknownKey(k, "task", append(slices.Clone(taskKeys), actionKinds...), unsupportedTaskKeys)
		}
	}
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
func (p *parser) condition(n *yaml.Node, what string, known *knownNames) *Cond {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == yamlnode.TagBool:
		return &Cond{Src: strings.ToLower(n.Value), Pos: p.Pos(n), value: p.boolean(n, what), eng: p.eng}
	case n.Kind == yaml.SequenceNode:
		c := &Cond{Pos: p.Pos(n), eng: p.eng}
		var items []any
		var srcs []string
		for _, item := range p.Sequence(n, what) {
			sub := p.condition(item, what, known)
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
	return p.compileExpr(src, p.srcPos(n), p.eng, known)
}

// scalarColumn is the column of a scalar's first character, inside its
// quotes when it is quoted.
func scalarColumn(n *yaml.Node) int {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return n.Column + 1
	}
	return n.Column
}

// loop reads loop: (or with_list:, with_items:): a list, or a template
// producing one. with_items flattens lists among the items one level.
func (p *parser) loop(n *yaml.Node, key string, known *knownNames) *Loop {
	l := &Loop{Flatten: key == "with_items"}
	if n.Kind == yaml.SequenceNode {
		for _, item := range p.Sequence(n, key) {
			l.Items = append(l.Items, p.loopItem(item, known))
		}
		return l
	}
	src := p.Str(n, key)
	switch {
	case src == "":
		return nil
	case jinja.IsTemplate(src):
		t := p.text(src, p.Pos(n), p.srcPos(n), p.eng, known)
		l.Expr = &t
	case l.Flatten:
		l.Items = []any{src}
	default:
		p.Errorf(n, fmt.Sprintf("write a list, or a template producing one: %s: \"{{ %s }}\"", key, src),
			"%s needs a list, not the string %q", key, src)
		return nil
	}
	return l
}

// loopItem reads one item of a loop list: strings may hold templates.
func (p *parser) loopItem(n *yaml.Node, known *knownNames) any {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == yamlnode.TagStr && jinja.IsTemplate(n.Value) {
		return p.text(n.Value, p.Pos(n), p.srcPos(n), p.eng, known)
	}
	return p.value(n)
}

// textNode reads a scalar into a Text.
func (p *parser) textNode(n *yaml.Node, what string, known *knownNames) Text {
	return p.text(p.Str(n, what), p.Pos(n), p.srcPos(n), p.eng, known)
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
