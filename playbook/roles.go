package playbook

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// loadedRole is what the parser keeps of a role directory it applied.
type loadedRole struct {
	applied  map[string]bool // params applied already (a role runs once per play with the same params)
	handlers bool            // its handlers are in the play
}

// roleFrom is which files of a role to read (tasks_from, vars_from...).
type roleFrom struct {
	tasks, vars, defaults, handlers string
	allowDuplicates                 bool
}

// roleEntryKeys are the keys of a role entry that are keywords, not
// parameters.
var roleEntryKeys = []string{"role", "name", "when", "tags", "vars", "environment", "become", "become_user", "become_method",
	"ignore_errors", "check_mode", "diff", "no_log", "run_once", "any_errors_fatal", "ignore_unreachable", "delegate_to",
	"collections", "module_defaults", "debugger", "throttle"}

// playRoles reads a play's roles: each entry a name or a mapping with
// role: (or name:), keywords and parameters.
func (p *parser) playRoles(play *Play, n *yaml.Node, s *scope) []*Task {
	var out []*Task
	for _, item := range p.Sequence(n, "roles") {
		rs := s.child()
		var name string
		var nameNode *yaml.Node = item
		params := map[string]any{}
		if item.Kind == yaml.ScalarNode {
			name = p.Str(item, "role")
		} else {
			for _, kv := range p.Mapping(item, "a role") {
				k, v := kv[0], kv[1]
				switch k.Value {
				case "role", "name":
					name, nameNode = p.Str(v, "role"), v
				case "vars":
					p.checkTemplates(v)
					maps.Copy(params, p.valueMap(v))
				case "delegate_to":
					p.Errorf(k, "delegate the role's tasks one by one", "delegate_to on a role is not supported by remotectl")
				default:
					if !p.scopeKey(rs, k, v) {
						p.checkTemplates(v)
						params[k.Value] = p.value(v)
					}
				}
			}
		}
		if name == "" {
			p.Errorf(item, "roles: [common] or roles: [{role: common, port: 80}]", "a role entry needs a role name")
			continue
		}
		out = append(out, p.applyRole(play, nameNode, name, params, rs, roleFrom{})...)
	}
	return out
}

// findRole resolves a role name to its directory: roles/ beside the
// playbook, roles_path, the playbook's directory, as Ansible looks.
func (p *parser) findRole(name, playDir string) (string, bool) {
	if strings.Contains(name, "/") || filepath.IsAbs(name) {
		dir := name
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(playDir, name)
		}
		return dir, isDir(dir)
	}
	dirs := []string{filepath.Join(playDir, "roles")}
	dirs = append(dirs, p.rolesPath...)
	dirs = append(dirs, playDir)
	for _, d := range dirs {
		if dir := filepath.Join(d, name); isDir(dir) {
			return dir, true
		}
	}
	return "", false
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// roleFile finds a role's file: dir/kind/name(.yml|.yaml|.json|); ""
// when there is none.
func roleFile(dir, kind, name string) string {
	if name == "" {
		name = "main"
	}
	for _, ext := range []string{"", ".yml", ".yaml", ".json"} {
		path := filepath.Join(dir, kind, name+ext)
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			return path
		}
	}
	return ""
}

// applyRole reads a role for a play: its meta dependencies first, its
// defaults and vars, its tasks (returned, in the role's scope) and its
// handlers (added to the play's). A role applied already with the same
// parameters is not applied again, as Ansible's.
func (p *parser) applyRole(play *Play, at *yaml.Node, name string, params map[string]any, s *scope, from roleFrom) []*Task {
	rendered := name
	if jinja.IsTemplate(name) {
		v, err := p.eng.Render(name, play.Vars)
		if err != nil {
			p.Errorf(at, "a role name may use the play's vars only", "role name %q: %v", name, err)
			return nil
		}
		rendered = jinja.String(v)
	}
	dir, ok := p.findRole(rendered, play.Dir)
	if !ok {
		searched := append([]string{filepath.Join(play.Dir, "roles")}, p.rolesPath...)
		p.Errorf(at, "install it (ansible-galaxy install) or set roles_path; searched "+strings.Join(append(searched, play.Dir), ", "),
			"the role %q was not found", rendered)
		return nil
	}
	if p.depth >= maxFileDepth {
		p.Errorf(at, "a role depends on itself, directly or not", "role %s: dependencies nested more than %d deep", rendered, maxFileDepth)
		return nil
	}
	role := &Role{Name: filepath.Base(dir), Dir: dir, Params: params, Defaults: map[string]any{}, Vars: map[string]any{}}
	lr := p.roles[dir]
	if lr == nil {
		lr = &loadedRole{applied: map[string]bool{}}
		p.roles[dir] = lr
	}
	key := fmt.Sprintf("%v|%s", params, from.tasks)
	meta := p.roleMeta(at, dir)
	if lr.applied[key] && !meta.allowDuplicates && !from.allowDuplicates {
		return nil
	}
	lr.applied[key] = true
	var out []*Task
	p.depth++
	for _, dep := range meta.deps {
		ds := s.child()
		for _, kv := range dep.keywords {
			p.scopeKey(ds, kv[0], kv[1])
		}
		out = append(out, p.applyRole(play, dep.at, dep.name, dep.params, ds, roleFrom{})...)
	}
	p.depth--
	for kind, file := range map[string]string{"defaults": from.defaults, "vars": from.vars} {
		path := roleFile(dir, kind, file)
		if path == "" {
			if file != "" {
				p.Errorf(at, "", "the role %s has no %s file %s", role.Name, kind, file)
			}
			continue
		}
		vars, err := loadVarsFile(path, p.decrypt)
		if err != nil {
			p.Errs = append(p.Errs, err)
			continue
		}
		if kind == "defaults" {
			role.Defaults = vars
		} else {
			role.Vars = vars
		}
	}
	if play.RoleDefaults == nil {
		play.RoleDefaults, play.RoleVars = map[string]any{}, map[string]any{}
	}
	maps.Copy(play.RoleDefaults, role.Defaults)
	maps.Copy(play.RoleVars, role.Vars)
	rs := s.child()
	rs.role, rs.dir = role, filepath.Join(dir, "tasks")
	out = append(out, p.argSpecTask(at, dir, from.tasks, params, rs)...)
	if path := roleFile(dir, "tasks", from.tasks); path != "" {
		p.inFile(at, path, func(root *yaml.Node) {
			if root != nil {
				rs.dir = filepath.Dir(path)
				out = append(out, p.taskList(root, rs)...)
			}
		})
	} else if from.tasks != "" {
		p.Errorf(at, "", "the role %s has no tasks file %s", role.Name, from.tasks)
	}
	if path := roleFile(dir, "handlers", from.handlers); path != "" && !lr.handlers {
		lr.handlers = true
		hs := &scope{dir: filepath.Dir(path), role: role, handler: true}
		p.inFile(at, path, func(root *yaml.Node) {
			if root != nil {
				play.Handlers = append(play.Handlers, p.handlerList(root, hs)...)
			}
		})
	}
	return out
}

// roleMeta is what a role's meta/main.yml says.
type roleMetaInfo struct {
	allowDuplicates bool
	deps            []roleDep
}

type roleDep struct {
	at       *yaml.Node
	name     string
	params   map[string]any
	keywords [][2]*yaml.Node
}

// roleMeta reads meta/main.yml: dependencies and allow_duplicates.
func (p *parser) roleMeta(at *yaml.Node, dir string) roleMetaInfo {
	var info roleMetaInfo
	path := roleFile(dir, "meta", "")
	if path == "" {
		return info
	}
	p.inFile(at, path, func(root *yaml.Node) {
		if root == nil || root.Kind != yaml.MappingNode {
			return
		}
		for _, kv := range p.Mapping(root, "a role's meta") {
			switch kv[0].Value {
			case "allow_duplicates":
				info.allowDuplicates = p.boolean(kv[1], "allow_duplicates")
			case "dependencies":
				for _, item := range p.Sequence(kv[1], "dependencies") {
					info.deps = append(info.deps, p.roleDep(item))
				}
			}
		}
	})
	return info
}

// roleDep reads one dependency: a name or a mapping like a roles: entry.
func (p *parser) roleDep(item *yaml.Node) roleDep {
	d := roleDep{at: item, params: map[string]any{}}
	if item.Kind == yaml.ScalarNode {
		d.name = item.Value
		return d
	}
	for _, kv := range p.Mapping(item, "a dependency") {
		k, v := kv[0], kv[1]
		switch {
		case k.Value == "role" || k.Value == "name":
			d.name, d.at = p.Str(v, "role"), v
		case k.Value == "vars":
			p.checkTemplates(v)
			maps.Copy(d.params, p.valueMap(v))
		case slices.Contains(roleEntryKeys, k.Value):
			d.keywords = append(d.keywords, [2]*yaml.Node{k, v})
		default:
			d.params[k.Value] = p.value(v)
		}
	}
	return d
}

// includeRoleKeys are include_role's and import_role's own parameters.
var includeRoleKeys = []string{"name", "tasks_from", "vars_from", "defaults_from", "handlers_from", "allow_duplicates", "public", "apply", "rolespec_validate"}

// importRole reads import_role: the role's tasks, read now, in place.
func (p *parser) importRole(n *yaml.Node, s *scope) []*Task {
	is := s.child()
	var args *yaml.Node
	var params map[string]any
	for _, kv := range p.Mapping(n, "import_role") {
		k, v := kv[0], kv[1]
		switch shortAction(k.Value) {
		case "import_role":
			args = v
		default:
			if !p.scopeKey(is, k, v) {
				p.Errorf(k, yamlnode.DidYouMean(k.Value, importKeys), "import_role: unsupported key %q", k.Value)
			}
		}
	}
	name, from, at := p.roleArgs(args, "import_role")
	if name == "" {
		return nil
	}
	params = is.vars // an import's vars: are the role's
	play := p.currentPlay
	return p.applyRole(play, at, name, params, is, from)
}

// roleArgs reads the arguments of include_role / import_role.
func (p *parser) roleArgs(n *yaml.Node, what string) (string, roleFrom, *yaml.Node) {
	var from roleFrom
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil && n.Kind == yaml.ScalarNode {
			opts, _ := parseKV(n.Value, false)
			name, _ := opts["name"].(string)
			from.tasks, _ = opts["tasks_from"].(string)
			return name, from, n
		}
		p.Errorf(n, what+": {name: myrole}", "%s needs name:", what)
		return "", from, n
	}
	var name string
	at := n
	for _, kv := range p.Mapping(n, what) {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "name":
			name, at = p.Str(v, "name"), v
		case "tasks_from":
			from.tasks = p.Str(v, k.Value)
		case "vars_from":
			from.vars = p.Str(v, k.Value)
		case "defaults_from":
			from.defaults = p.Str(v, k.Value)
		case "handlers_from":
			from.handlers = p.Str(v, k.Value)
		case "allow_duplicates":
			from.allowDuplicates = p.boolean(v, k.Value)
		case "public", "rolespec_validate", "apply":
		default:
			p.Errorf(k, yamlnode.DidYouMean(k.Value, includeRoleKeys), "%s: unknown parameter %q", what, k.Value)
		}
	}
	if name == "" {
		p.Errorf(n, what+": {name: myrole}", "%s needs name:", what)
	}
	return name, from, at
}

// IncludeAction is include_tasks or include_role: the tasks it brings run
// on the host when the include runs (once per loop item), with the
// include's vars.
type IncludeAction struct {
	Key   string
	File  string  // include_tasks: the file as written
	Tasks []*Task // read when the playbook loads
	// A file name with a template: the files it may name, read when the
	// playbook loads, by path; template names the one to run.
	byFile   map[string][]*Task
	fileErrs map[string]error // the candidates that cannot run, and why
	err      error            // why the file (a name without a template) cannot run
	template Text
	base     string
}

func (a *IncludeAction) Kind() string    { return a.Key }
func (a *IncludeAction) summary() string { return a.File }
func (a *IncludeAction) readOnly() bool  { return true }

// run is never called: the executor runs the included tasks itself.
func (a *IncludeAction) run(context.Context, *actionRun) (*Outcome, error) { return &Outcome{}, nil }

// include reads include_tasks or include_role. The file (or role) is
// read now; its name cannot depend on variables.
func (p *parser) include(n *yaml.Node, s *scope) *Task {
	is := s.child()
	is.when, is.tags = nil, nil // the include's own when: and tags: are the include task's
	t := &Task{Pos: p.Pos(n), eng: p.eng}
	s.inherit(t)
	var key, args *yaml.Node
	for _, kv := range p.Mapping(n, "an include") {
		k, v := kv[0], kv[1]
		switch shortAction(k.Value) {
		case "include_tasks", "include_role":
			key, args = k, v
		case "vars":
			is.vars = maps.Clone(is.vars)
			if is.vars == nil {
				is.vars = map[string]any{}
			}
			maps.Copy(is.vars, p.varsMap(v, "vars"))
		case "apply":
			for _, akv := range p.Mapping(v, "apply") {
				if !p.scopeKey(is, akv[0], akv[1]) {
					p.Errorf(akv[0], "apply: takes task keywords (tags, become, ...)", "apply: unsupported key %q", akv[0].Value)
				}
			}
		default:
			if isTaskKeyword(k.Value) {
				p.taskKey(t, k, v)
			} else {
				p.Errorf(k, yamlnode.DidYouMean(k.Value, importKeys), "unsupported key %q in an include", k.Value)
			}
		}
	}
	for _, kv := range p.Mapping(n, "an include") {
		if isLoopKey(kv[0].Value) {
			t.Loop = p.loop(kv[1], kv[0].Value)
		}
	}
	s.inherit(t)
	t.Key = key.Value
	a := &IncludeAction{Key: key.Value}
	t.Action = a
	if shortAction(key.Value) == "include_role" {
		name, from, at := p.roleArgs(args, "include_role")
		if name == "" {
			return nil
		}
		a.File = name
		a.Tasks = p.applyRole(p.currentPlay, at, name, is.vars, is, roleFrom{tasks: from.tasks, vars: from.vars,
			defaults: from.defaults, handlers: from.handlers, allowDuplicates: true})
		return t
	}
	var file *yaml.Node
	if args.Kind == yaml.MappingNode {
		for _, kv := range p.Mapping(args, "include_tasks") {
			switch kv[0].Value {
			case "file", "_raw_params":
				file = kv[1]
			case "apply":
			default:
				p.Errorf(kv[0], "include_tasks: {file: x.yml}", "include_tasks: unknown parameter %q", kv[0].Value)
			}
		}
	} else {
		file = args
	}
	if file == nil {
		p.Errorf(args, "include_tasks: FILE", "include_tasks needs a file")
		return nil
	}
	name := p.Str(file, "include_tasks")
	a.File = name
	if jinja.IsTemplate(name) {
		return p.includeByTemplate(t, a, file, name, is)
	}
	path := p.findFile(s, "tasks", name)
	before := len(p.Errs)
	p.inFile(file, path, func(root *yaml.Node) {
		is.dir = filepath.Dir(path)
		if root != nil {
			a.Tasks = p.taskList(root, is)
		}
	})
	a.err = p.deferErrors(before)
	return t
}

// oneLine joins the lines of an error with "; ", for a task's message.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// deferErrors takes the errors found since the parser had before of them
// out of the load: they belong to a file an include_tasks reads, which
// Ansible reads only when the include runs (setup-FreeBSD.yml under
// "when: ansible_os_family == 'FreeBSD'" never does on a Debian fleet).
// The include fails with them on the hosts where it runs.
func (p *parser) deferErrors(before int) error {
	errs := p.Errs[before:]
	if len(errs) == 0 {
		return nil
	}
	err := errors.Join(slices.Clone(errs)...)
	p.Errs = p.Errs[:before]
	return err
}

// includeByTemplate reads every file an include_tasks name with a
// template may name: the files of its directory that match the name's
// fixed parts ("{{ ansible_os_family }}.yml" → *.yml), each read now;
// the one the template names runs.
func (p *parser) includeByTemplate(t *Task, a *IncludeAction, at *yaml.Node, name string, s *scope) *Task {
	glob := templateGlob(name)
	base := s.dir
	if s.role != nil {
		base = filepath.Join(s.role.Dir, "tasks")
	}
	matches, _ := filepath.Glob(filepath.Join(base, glob))
	a.byFile = map[string][]*Task{}
	a.template = Text{Raw: name, Pos: p.Pos(at), eng: p.eng}
	a.base = base
	for _, path := range matches {
		fs := s.child()
		before := len(p.Errs)
		p.inFile(at, path, func(root *yaml.Node) {
			fs.dir = filepath.Dir(path)
			if root != nil {
				a.byFile[path] = p.taskList(root, fs)
			}
		})
		// Which file runs is known on the host only.
		if err := p.deferErrors(before); err != nil {
			if a.fileErrs == nil {
				a.fileErrs = map[string]error{}
			}
			a.fileErrs[path] = err
		}
	}
	return t
}

// templateGlob turns a file name with templates into a glob.
func templateGlob(name string) string {
	var b strings.Builder
	for rest := name; rest != ""; {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		b.WriteByte('*')
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			break
		}
		rest = rest[i+j+2:]
	}
	return b.String()
}

// runInclude runs what an include brings on the host: its tasks, one
// after the other, with the include's vars (and loop variables) as
// include params. The include itself is reported ok, as Ansible's
// "included:" line.
func (h *hostRun) runInclude(ctx context.Context, task *Task, a *IncludeAction, r *TaskResult, vars, loop map[string]any) (map[string]any, error) {
	tasks := a.Tasks
	file := a.File
	if a.byFile != nil {
		name, err := a.template.render(vars)
		if err != nil {
			return h.fail(task, r, err.Error()), nil
		}
		path := filepath.Join(a.base, name)
		if err := a.fileErrs[path]; err != nil {
			return h.fail(task, r, fmt.Sprintf("%s: include_tasks: %s cannot run: %s", task.Pos, path, oneLine(err))), nil
		}
		var ok bool
		if tasks, ok = a.byFile[path]; !ok {
			return h.fail(task, r, fmt.Sprintf("%s: include_tasks: no file %s (remotectl reads the files an include may name when it loads the playbook)", task.Pos, path)), nil
		}
		file = path
	}
	if a.byFile == nil && a.err != nil {
		return h.fail(task, r, fmt.Sprintf("%s: include_tasks: %s cannot run: %s", task.Pos, file, oneLine(a.err))), nil
	}
	r.Status, r.Msg = StatusOK, "included: "+file
	r.Uncounted = shortAction(task.Key) == "include_role"
	h.br.e.emit(Event{Kind: EventResult, Result: r})
	params := maps.Clone(task.Vars)
	if params == nil {
		params = map[string]any{}
	}
	maps.Copy(params, loop)
	h.params = append(h.params, params)
	defer func() { h.params = h.params[:len(h.params)-1] }()
	sel := h.br.e.opts.Selection
	for _, child := range tasks {
		if !selectedByTags(child, sel.Tags, sel.SkipTags) {
			continue
		}
		if h.failure != nil && !h.blockGoesOn(child) || h.rescuePassed(child) {
			if h.stopped {
				break
			}
			continue
		}
		if !h.br.stepInto(h.host.Name, child) {
			continue
		}
		h.br.e.emit(Event{Kind: EventTaskStart, Play: h.br.plan.Play.Name, Task: child.DisplayName(), Handler: child.handler})
		if err := h.runTask(ctx, child); err != nil {
			return nil, err
		}
		if h.stopped || h.ended || h.br.playEnded(h.step) {
			break
		}
	}
	return map[string]any{"changed": false, "include": file}, nil
}
