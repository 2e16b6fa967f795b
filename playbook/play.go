package playbook

import (
	"maps"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// playKeys are the keys a play may have.
var playKeys = []string{"name", "hosts", "vars", "vars_files", "vars_prompt", "become", "become_user", "become_method", "serial",
	"max_fail", "max_fail_percentage", "strategy", "gather_facts", "tasks", "handlers", "pre_tasks", "post_tasks", "roles",
	"remote_user", "user", "connection", "environment", "tags", "any_errors_fatal", "ignore_errors", "ignore_unreachable",
	"check_mode", "diff", "no_log", "order", "force_handlers", "module_defaults", "collections", "gather_subset",
	"gather_timeout", "fact_path", "throttle", "run_once", "debugger", "port"}

// unsupportedPlayKeys are Ansible play keys remotectl does not implement.
var unsupportedPlayKeys = map[string]string{
	"port": "set the port in the inventory (ansible_port)",
}

// plays reads the plays of a playbook file; import_playbook items bring
// the plays of another file.
func (p *parser) plays(root *yaml.Node, depth int) {
	for _, n := range p.Sequence(root, "a playbook (a list of plays)") {
		if n.Kind == yaml.MappingNode && hasAny(mapKeys(n), "import_playbook", "ansible.builtin.import_playbook") {
			p.importPlaybook(n)
			continue
		}
		if n.Kind == yaml.MappingNode && hasAny(mapKeys(n), "include", "ansible.builtin.include") && !hasAny(mapKeys(n), "hosts") {
			k := n.Content[0]
			for i := 0; i < len(n.Content); i += 2 {
				if shortAction(n.Content[i].Value) == "include" {
					k = n.Content[i]
				}
			}
			// ansible-core 2.14 refuses it ("'include' is not a valid attribute for a Play")
			p.Errorf(k, "write import_playbook: FILE", "include: of a playbook is refused by ansible-core 2.14 ('include' is not a valid attribute for a Play)")
			continue
		}
		if play := p.play(n); play != nil {
			p.pb.Plays = append(p.pb.Plays, play)
		}
	}
}

// importPlaybook reads import_playbook: the plays of another file, in
// place (its when: and vars: apply to them).
func (p *parser) importPlaybook(n *yaml.Node) {
	var file *yaml.Node
	var vars map[string]any
	var when *yaml.Node
	for _, kv := range p.Mapping(n, "import_playbook") {
		switch shortAction(kv[0].Value) {
		case "import_playbook":
			file = kv[1]
		case "vars":
			vars = p.varsMap(kv[1], "vars")
		case "when":
			when = kv[1]
		case "name", "tags":
		default:
			p.Errorf(kv[0], "import_playbook: FILE, with name:, vars: or when:", "import_playbook: unsupported key %q", kv[0].Value)
		}
	}
	name := p.Str(file, "import_playbook")
	if jinja.IsTemplate(name) {
		p.Errorf(file, "name the file", "import_playbook: the file name cannot hold a template")
		return
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.dir(), name)
	}
	first := len(p.pb.Plays)
	saved := p.fileDir
	p.inFile(file, path, func(root *yaml.Node) {
		p.fileDir = filepath.Dir(path)
		if root != nil {
			p.plays(root, p.depth)
		}
	})
	p.fileDir = saved
	for _, play := range p.pb.Plays[first:] {
		if vars != nil {
			merged := maps.Clone(vars)
			maps.Copy(merged, play.Vars)
			play.Vars = merged
		}
		if when != nil {
			if c := p.condition(when, "when"); c != nil {
				for _, t := range play.Tasks {
					t.When = allOf(append([]*Cond{c}, condOrNil(t.When)...))
				}
			}
		}
	}
}

func condOrNil(c *Cond) []*Cond {
	if c == nil {
		return nil
	}
	return []*Cond{c}
}

// dir is the directory of the playbook file being read.
func (p *parser) dir() string {
	if p.fileDir != "" {
		return p.fileDir
	}
	return p.pb.Dir
}

func (p *parser) play(n *yaml.Node) *Play {
	play := &Play{Pos: p.Pos(n), Strategy: Linear, GatherFacts: true, Vars: map[string]any{}, Dir: p.dir()}
	pairs := p.Mapping(n, "a play")
	if n.Kind != yaml.MappingNode {
		return nil
	}
	s := &scope{dir: play.Dir}
	p.currentPlay = play
	var sections = map[string]*yaml.Node{}
	hasHosts := false
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "vars":
			play.Vars = p.varsMap(v, "vars")
		case "vars_files":
			play.VarsFiles = p.varsFileNames(v)
			play.FileVars = p.varsFiles(v, play.VarsFiles, play.Dir)
		}
	}
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "vars", "vars_files":
		case "name":
			play.Name = p.Str(v, "name")
		case "hosts":
			hasHosts = true
			play.Hosts = strings.Join(p.strList(v, "hosts"), ",")
			if strings.Contains(play.Hosts, "{{") {
				p.Errorf(v, "select hosts with a pattern (web, web*, db:&prod)", "hosts: cannot use templates")
			}
		case "become":
			play.Become = p.boolean(v, "become")
		case "become_user":
			play.BecomeUser = p.Str(v, "become_user")
		case "remote_user", "user":
			play.RemoteUser = p.Str(v, k.Value)
		case "connection":
			switch c := p.Str(v, "connection"); c {
			case "local", "ssh", "smart", "paramiko", "winrm":
				play.Connection = c
			default:
				p.Errorf(v, "connection: local, ssh or winrm", "connection %q is not supported by remotectl", c)
			}
		case "serial":
			play.Serial = p.serial(v)
		case "max_fail":
			a := p.amount(v, "max_fail", true)
			play.MaxFail = &a
		case "max_fail_percentage":
			n := p.integer(v, "max_fail_percentage")
			play.MaxFailPercentage = &n
		case "any_errors_fatal":
			play.AnyErrorsFatal = p.boolean(v, "any_errors_fatal")
			s.anyErrorsFatal = &play.AnyErrorsFatal
		case "strategy":
			switch st := p.Str(v, "strategy"); Strategy(st) {
			case Linear, Free:
				play.Strategy = Strategy(st)
			default:
				p.Errorf(v, yamlnode.DidYouMean(st, []string{"linear", "free"}), "unknown strategy %q", st)
			}
		case "gather_facts":
			play.GatherFacts = p.boolean(v, "gather_facts")
		case "vars_prompt":
			p.varsPrompt(play, v)
		case "order":
			switch o := p.Str(v, "order"); o {
			case "inventory", "sorted", "reverse_sorted", "reverse_inventory", "shuffle":
				play.Order = o
			default:
				p.Errorf(v, "inventory, sorted, reverse_sorted, reverse_inventory or shuffle", "unknown order %q", o)
			}
		case "tasks", "handlers", "pre_tasks", "post_tasks", "roles":
			sections[k.Value] = v
		case "force_handlers", "gather_subset", "gather_timeout", "fact_path":
		default:
			if !p.scopeKey(s, k, v) {
				p.unknownKey(k, "play", playKeys, unsupportedPlayKeys)
			}
		}
	}
	if !hasHosts {
		p.Errorf(n, "add hosts: all (or a group or pattern)", "the play has no hosts:")
	}
	if play.Name == "" {
		play.Name = play.Hosts // as Ansible names a play without a name: PLAY [all]
	}
	p.playVars = play.Vars
	p.playTasks(play, s, sections)
	p.checkNotify(play)
	p.checkFree(play)
	return play
}

// playTasks reads the play's sections in Ansible's order: pre_tasks,
// handlers flushed, roles, tasks, handlers flushed, post_tasks.
func (p *parser) playTasks(play *Play, s *scope, sections map[string]*yaml.Node) {
	if n := sections["pre_tasks"]; n != nil {
		play.Tasks = append(play.Tasks, p.taskList(n, s)...)
		play.Tasks = append(play.Tasks, flushTask(play.Pos))
	}
	if n := sections["roles"]; n != nil {
		play.Tasks = append(play.Tasks, p.playRoles(play, n, s)...)
	}
	if n := sections["tasks"]; n != nil {
		play.Tasks = append(play.Tasks, p.taskList(n, s)...)
	}
	if n := sections["post_tasks"]; n != nil {
		play.Tasks = append(play.Tasks, flushTask(play.Pos))
		play.Tasks = append(play.Tasks, p.taskList(n, s)...)
	}
	if n := sections["handlers"]; n != nil {
		hs := s.child()
		hs.handler = true
		play.Handlers = append(play.Handlers, p.handlerList(n, hs)...)
	}
}

// handlerList reads handlers, checking their names.
func (p *parser) handlerList(n *yaml.Node, s *scope) []*Task {
	out := p.taskList(n, s)
	seen := map[string]bool{}
	for _, t := range out {
		if t.Name == "" && len(t.Listen) == 0 {
			p.errorfAt(t.Pos, "notify: names handlers by their name", "a handler needs a name: (or listen:)")
		}
		seen[t.Name] = true
	}
	return out
}

// flushTask is the handler flush between a play's sections.
func flushTask(pos string) *Task {
	return &Task{Pos: pos, Key: "meta", Action: &BuiltinAction{Name: "meta", Key: "meta", Args: map[string]any{"_raw_params": "flush_handlers"},
		spec: builtinSpecs["meta"]}, implicit: true}
}

// varsPrompt reads vars_prompt; the executor asks them when the play
// starts (askPrompts).
func (p *parser) varsPrompt(play *Play, n *yaml.Node) {
	for _, item := range p.Sequence(n, "vars_prompt") {
		vp := VarPrompt{Private: true}
		for _, kv := range p.Mapping(item, "a prompt") {
			switch kv[0].Value {
			case "name":
				vp.Name = p.Str(kv[1], "name")
			case "prompt":
				vp.Prompt = p.Str(kv[1], "prompt")
			case "default":
				vp.Default, vp.HasDefault = p.value(kv[1]), true
			case "private":
				vp.Private = p.boolean(kv[1], "private")
			case "confirm":
				vp.Confirm = p.boolean(kv[1], "confirm")
			case "unsafe":
			case "encrypt", "salt_size", "salt":
				p.Errorf(kv[0], "prompt for the plain value and hash it in a task: {{ x | password_hash('sha512') }}",
					"vars_prompt %s is not supported by remotectl", kv[0].Value)
			default:
				p.Errorf(kv[0], "name, prompt, default, private, confirm", "unknown vars_prompt key %q", kv[0].Value)
			}
		}
		play.Prompts = append(play.Prompts, vp)
	}
}
