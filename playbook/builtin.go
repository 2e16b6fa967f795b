package playbook

import (
	"context"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/playbook/module"
	"github.com/remotectl/remotectl/remote"
)

// executorActions are the actions the executor itself performs (they read
// or change the play's state, not a host's), beside debug and check.
var executorActions = []string{"set_fact", "assert", "fail", "meta", "include_vars", "pause", "setup", "gather_facts", "group_by", "async_status", "add_host", "wait_for_connection", "reboot", "validate_argument_spec"}

// builtinSpec is an executor action's parameters.
type builtinSpec struct {
	params   []string
	freeForm string // the parameter a free-form string fills; "" for none
	anyKeys  bool   // set_fact: any key is a variable
	readOnly bool
	run      func(ctx context.Context, r *actionRun, args map[string]any) (*Outcome, error)
}

var builtinSpecs = map[string]builtinSpec{
	"set_fact":               {anyKeys: true, readOnly: true, run: runSetFact},
	"assert":                 {params: []string{"that", "fail_msg", "msg", "success_msg", "quiet"}, readOnly: true, run: runAssert},
	"fail":                   {params: []string{"msg"}, readOnly: true, run: runFail},
	"meta":                   {params: []string{"_raw_params"}, freeForm: "_raw_params", readOnly: true, run: runMeta},
	"include_vars":           {params: []string{"file", "dir", "name", "depth", "files_matching", "ignore_files", "extensions", "ignore_unknown_extensions", "hash_behaviour", "_raw_params"}, freeForm: "file", readOnly: true, run: runIncludeVars},
	"pause":                  {params: []string{"seconds", "minutes", "prompt", "echo"}, readOnly: true, run: runPause},
	"setup":                  {params: []string{"gather_subset", "gather_timeout", "filter", "fact_path"}, readOnly: true, run: runSetup},
	"gather_facts":           {params: []string{"parallel"}, readOnly: true, run: runSetup},
	"group_by":               {params: []string{"key", "parents"}, freeForm: "key", readOnly: true, run: runGroupBy},
	"async_status":           {params: []string{"jid", "mode"}, readOnly: true, run: runAsyncStatus},
	"add_host":               {anyKeys: true, readOnly: true, run: runAddHost},
	"wait_for_connection":    {params: []string{"connect_timeout", "delay", "sleep", "timeout"}, readOnly: true, run: runWaitForConnection},
	"validate_argument_spec": {params: []string{"argument_spec", "provided_arguments", "validate_args_context"}, readOnly: true, run: runValidateArgumentSpec},
	"reboot": {params: []string{"reboot_timeout", "reboot_timeout_sec", "connect_timeout", "connect_timeout_sec", "test_command",
		"pre_reboot_delay", "post_reboot_delay", "msg", "reboot_command", "boot_time_command", "search_paths"}, readOnly: true, run: runReboot},
}

// BuiltinAction is an action of the executor: set_fact, assert, fail,
// meta, include_vars, pause, setup.
type BuiltinAction struct {
	Name string // short name
	Key  string // as written
	Args map[string]any
	Pos  string
	eng  *jinja.Engine
	spec builtinSpec
}

func (a *BuiltinAction) Kind() string   { return a.Key }
func (a *BuiltinAction) readOnly() bool { return a.spec.readOnly }
func (a *BuiltinAction) summary() string {
	return (&ModuleAction{Args: a.Args}).summary()
}

func (a *BuiltinAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	args := a.Args
	if a.Name != "assert" { // assert's that: are expressions, judged one by one
		v, err := templateArgs(a.eng, a.Args, r.vars)
		if err != nil {
			return failed("%s: %v", a.Pos, err), nil
		}
		args = v.(map[string]any)
	}
	return a.spec.run(ctx, r, args)
}

// builtinAction reads the arguments of an executor action.
func (p *parser) builtinAction(name string, k, n *yaml.Node) Action {
	spec := builtinSpecs[name]
	if name == "group_by" || name == "add_host" {
		p.pb.groupBy = true
	}
	a := &BuiltinAction{Name: name, Key: k.Value, Args: map[string]any{}, Pos: p.Pos(k), eng: p.eng, spec: spec}
	switch {
	case n.Kind == yaml.ScalarNode && !yamlnode.IsNull(n):
		if spec.freeForm == "_raw_params" {
			a.Args["_raw_params"] = strings.TrimSpace(n.Value)
			break
		}
		opts, raw := parseKV(n.Value, false)
		maps.Copy(a.Args, opts)
		if raw != "" {
			if spec.freeForm == "" {
				p.Errorf(n, "write its arguments as k=v pairs or a mapping", "%s takes no free-form text: %q", name, raw)
				return nil
			}
			a.Args[spec.freeForm] = raw
		}
	case n.Kind == yaml.MappingNode:
		for _, kv := range p.Mapping(n, name) {
			if !spec.anyKeys && !slices.Contains(spec.params, kv[0].Value) {
				p.Errorf(kv[0], yamlnode.DidYouMean(kv[0].Value, spec.params), "unsupported parameter %q for %s", kv[0].Value, name)
				continue
			}
			a.Args[kv[0].Value] = p.value(kv[1])
			if name == "assert" && kv[0].Value == "that" {
				p.condition(kv[1], "that") // its expressions' syntax, filters and tests, as when:'s
			}
		}
	case yamlnode.IsNull(n):
	default:
		p.Errorf(n, "write the arguments as a mapping or k=v pairs", "%s takes a mapping of arguments, not %s", name, yamlnode.Describe(n))
		return nil
	}
	p.checkTemplates(n)
	switch name {
	case "meta":
		what, _ := a.Args["_raw_params"].(string)
		if !slices.Contains(metaActions, what) {
			p.Errorf(n, yamlnode.DidYouMean(what, metaActions), "meta: unknown action %q", what)
			return nil
		}
	case "assert":
		if _, ok := a.Args["that"]; !ok {
			p.Errorf(n, `assert: {that: ["x > 1"]}`, "assert needs that:")
			return nil
		}
	}
	return a
}

// metaActions are the meta: tasks remotectl runs.
var metaActions = []string{"flush_handlers", "end_play", "end_host", "end_batch", "clear_host_errors", "noop", "refresh_inventory", "clear_facts", "reset_connection"}

func runSetFact(_ context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	facts := map[string]any{}
	msg := ""
	for k, v := range args {
		if k == "cacheable" {
			msg = "cacheable ignored: remotectl keeps no fact cache, the facts live for this run"
			continue
		}
		if jinja.IsTemplate(k) { // set_fact templates its keys (Ansible's action)
			tk, err := r.task.eng.Render(k, r.vars)
			if err != nil {
				return failed("%v", err), nil
			}
			k = jinja.String(tk)
		}
		if !isIdentifier(k) {
			return failed("The variable name '%s' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.", k), nil
		}
		v = setFactBool(v)
		facts[k] = v
		r.host.setVar(k, v)
	}
	return &Outcome{Msg: msg, Result: map[string]any{"ansible_facts": facts, "changed": false}}, nil
}

// setFactBool is set_fact's reading of the strings true, false, yes and no
// (any case) as booleans, as Ansible's action does with jinja2_native off.
func setFactBool(v any) any {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case jinja.Unsafe:
		s = string(x)
	default:
		return v
	}
	switch strings.ToLower(s) {
	case "true", "yes":
		return true
	case "false", "no":
		return false
	}
	return v
}

func runAssert(_ context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	var that []any
	switch x := args["that"].(type) {
	case []any:
		that = x
	default:
		that = []any{x}
	}
	render := func(key string) (string, error) {
		v, ok := args[key]
		if !ok {
			return "", nil
		}
		tv, err := templateArgs(r.task.eng, v, r.vars)
		return jinja.String(tv), err
	}
	for _, cond := range that {
		ok, err := r.task.eng.Conditional(cond, r.vars)
		if err != nil {
			return failed("The conditional check '%v' failed. The error was: %v", cond, err), nil
		}
		if !ok {
			msg, err := render("fail_msg")
			if err == nil && msg == "" {
				msg, err = render("msg")
			}
			if err != nil {
				return failed("%v", err), nil
			}
			if msg == "" {
				msg = "Assertion failed"
			}
			return &Outcome{Failed: true, Msg: msg, Result: map[string]any{"failed": true, "changed": false, "msg": msg,
				"assertion": jinja.String(cond), "evaluated_to": false}}, nil
		}
	}
	msg, err := render("success_msg")
	if err != nil {
		return failed("%v", err), nil
	}
	if msg == "" {
		msg = "All assertions passed"
	}
	return &Outcome{Msg: msg, Result: map[string]any{"changed": false, "msg": msg}}, nil
}

func runFail(_ context.Context, _ *actionRun, args map[string]any) (*Outcome, error) {
	msg := "Failed as requested from task"
	if v, ok := args["msg"]; ok {
		msg = jinja.String(v)
	}
	return &Outcome{Failed: true, Msg: msg, Result: map[string]any{"failed": true, "changed": false, "msg": msg}}, nil
}

func runMeta(_ context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	what, _ := args["_raw_params"].(string)
	h := r.host
	switch what {
	case "end_host":
		h.ended = true
		return &Outcome{Msg: "ending play for " + h.host.Name, Result: map[string]any{"changed": false}}, nil
	case "end_play", "end_batch":
		h.br.endPlay(h.step)
		return &Outcome{Msg: "ending play", Result: map[string]any{"changed": false}}, nil
	case "clear_facts":
		h.mem.facts = nil
	case "reset_connection": // the next task that needs the host connects again (new groups, limits)
		h.lost = true
	}
	return &Outcome{Result: map[string]any{"changed": false}}, nil
}

func runIncludeVars(_ context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	ctl := &controller{r: r}
	var files []string
	if f, ok := args["file"]; ok {
		p, err := ctl.FindFile("vars", jinja.String(f))
		if err != nil {
			return failed("%v", err), nil
		}
		files = append(files, p)
	}
	if d, ok := args["dir"]; ok {
		dir, err := ctl.FindFile("vars", jinja.String(d))
		if err != nil {
			return failed("%v", err), nil
		}
		for _, ext := range []string{"*.yml", "*.yaml", "*.json"} {
			m, _ := filepath.Glob(filepath.Join(dir, ext))
			files = append(files, m...)
		}
		slices.Sort(files)
	}
	if len(files) == 0 {
		return failed("include_vars needs file: or dir:"), nil
	}
	vars := omap.New(0)
	for _, f := range files {
		v, err := loadVarsFileOrdered(f, r.host.br.e.pb.decrypt)
		if err != nil {
			return failed("%v", err), nil
		}
		for k, val := range v.All() {
			vars.Set(k, val)
		}
	}
	facts := vars.ToMap()
	if name, ok := args["name"]; ok {
		facts = map[string]any{jinja.String(name): vars}
	}
	for k, v := range facts {
		r.host.includeVar(k, v)
	}
	list := make([]any, len(files))
	for i, f := range files {
		list[i] = f
	}
	return &Outcome{Result: map[string]any{"ansible_facts": facts, "ansible_included_var_files": list, "changed": false}}, nil
}

func runPause(ctx context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	var d time.Duration
	unit := ""
	for key, u := range map[string]time.Duration{"seconds": time.Second, "minutes": time.Minute} {
		v, ok := args[key]
		if !ok {
			continue
		}
		n, err := toFloat(v)
		if err != nil {
			return failed("pause: %s must be a number, not %v", key, v), nil
		}
		d, unit = time.Duration(n*float64(u)), key
	}
	echo := true
	if v, ok := args["echo"]; ok {
		b, err := module.ToBool(v)
		if err != nil {
			return failed("pause: echo: %v", err), nil
		}
		echo = b
	}
	start := time.Now()
	res := map[string]any{"changed": false, "rc": 0, "stderr": "", "echo": echo, "user_input": "",
		"start": start.Format("2006-01-02 15:04:05.000000")}
	switch {
	case unit != "":
		if !remote.Sleep(ctx, d) {
			return nil, ctx.Err()
		}
	case r.host.br.e.opts.Prompt == nil:
		// Ansible warns and goes on; its result keeps no warning.
		r.host.br.e.warnOnce("Not waiting for response to prompt as stdin is not interactive")
	default:
		input, err := r.host.br.e.ask(pausePrompt(r.task, args, echo), echo)
		if err != nil {
			return nil, err
		}
		res["user_input"] = input
	}
	elapsed := time.Since(start)
	res["stop"], res["delta"] = time.Now().Format("2006-01-02 15:04:05.000000"), int(elapsed.Seconds())
	if unit == "seconds" {
		res["stdout"] = fmt.Sprintf("Paused for %v seconds", pyRound2(elapsed.Seconds()))
	} else {
		res["stdout"] = fmt.Sprintf("Paused for %v minutes", pyRound2(elapsed.Minutes()))
	}
	return &Outcome{Result: res, ActionOnly: true}, nil
}

// pausePrompt is what Ansible's pause shows before it waits for Enter.
func pausePrompt(t *Task, args map[string]any, echo bool) string {
	text := "Press enter to continue, Ctrl+C to interrupt"
	if p, ok := args["prompt"]; ok && jinja.String(p) != "" {
		text = jinja.String(p)
	}
	if !echo {
		text += " (output is hidden)"
	}
	return fmt.Sprintf("[%s]\n%s:", strings.TrimSpace(t.DisplayName()), text)
}

// pyRound2 is Python's round(x, 2) as str() prints it (1.0, 0.05).
func pyRound2(x float64) string {
	s := strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func runSetup(ctx context.Context, r *actionRun, args map[string]any) (*Outcome, error) {
	if r.task.Key == windowsSetup && !r.windows() {
		return failed("%s is the setup module of Windows hosts (PowerShell): %s is not one; hint: use setup (ansible.builtin.setup)", windowsSetup, r.host.host.Name), nil
	}
	return factsAction{args: args}.run(ctx, r)
}

// windowsSetup is the name of setup in the ansible.windows collection:
// the executor's setup, which gathers Windows facts on a Windows host.
const windowsSetup = "ansible.windows.setup"

// toFloat reads a number written as a number or a string.
func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	}
	return 0, fmt.Errorf("not a number: %v", v)
}
