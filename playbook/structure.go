package playbook

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// maxFileDepth bounds nested imports, includes and role dependencies (a
// file importing itself).
const maxFileDepth = 32

// scope is what tasks inherit from where they are written: the play, a
// role, a block, an import. A task's own keywords win over it.
type scope struct {
	dir          string // the directory of the file the tasks are written in
	role         *Role
	block        *Block
	section      string // the task's section in block: block, rescue or always
	when         []*Cond
	tags         []string
	vars         map[string]any
	env          []any
	become       *bool
	becomeUser   string
	becomeMethod string // "sudo" or "su"; "" leaves it to the host
	becomeFlags  *string
	ignoreErrors *bool
	checkMode    *bool
	diff         *bool
	noLog        *bool
	runOnce      *bool
	// ignoreUnreachable and anyErrorsFatal are the keywords of a play,
	// block or role over its tasks.
	ignoreUnreachable *bool
	anyErrorsFatal    *bool
	kwTemplates       map[string]Text // boolean keywords given by templates
	notify            []string        // a block's notify
	throttle          int
	delegateTo        *Text // a block's or import's delegate_to
	handler           bool
}

// child is a copy of s that a nested scope may change.
func (s *scope) child() *scope {
	c := *s
	c.when = slices.Clone(s.when)
	c.tags = slices.Clone(s.tags)
	c.env = slices.Clone(s.env)
	c.vars = maps.Clone(s.vars)
	return &c
}

// Block is a block: its tasks, rescue and always sections, flattened in
// the play's task list; each task knows its block and section.
type Block struct {
	Parent    *Block
	Section   string // this block's section in Parent
	HasRescue bool
	Pos       string
}

// inherit applies the scope to a task read in it.
func (s *scope) inherit(t *Task) {
	t.Dir, t.Role, t.Block, t.Section = s.dir, s.role, s.block, s.section
	if len(s.when) > 0 {
		conds := slices.Clone(s.when)
		if t.When != nil {
			conds = append(conds, t.When)
		}
		t.When = allOf(conds)
	}
	for _, tag := range s.tags {
		if !slices.Contains(t.Tags, tag) {
			t.Tags = append(t.Tags, tag)
		}
	}
	if len(s.vars) > 0 {
		vars := maps.Clone(s.vars)
		maps.Copy(vars, t.Vars)
		t.Vars = vars
	}
	t.Environment = append(slices.Clone(s.env), t.Environment...)
	if t.Become == nil {
		t.Become = s.become
	}
	if t.BecomeUser == "" {
		t.BecomeUser = s.becomeUser
	}
	if t.BecomeMethod == "" {
		t.BecomeMethod = s.becomeMethod
	}
	if t.BecomeFlags == nil {
		t.BecomeFlags = s.becomeFlags
	}
	for key, tmpl := range s.kwTemplates {
		if _, own := t.kwTemplates[key]; !own && !t.ownsKeyword(key) {
			t.setKeywordTemplate(key, tmpl)
		}
	}
	if t.Notify == nil && len(s.notify) > 0 {
		t.Notify = slices.Clone(s.notify)
	}
	if !t.ignoreErrorsSet && s.ignoreErrors != nil {
		t.IgnoreErrors = *s.ignoreErrors
	}
	if t.CheckMode == nil {
		t.CheckMode = s.checkMode
	}
	if t.Diff == nil {
		t.Diff = s.diff
	}
	if !t.noLogSet && s.noLog != nil {
		t.NoLog = *s.noLog
	}
	if t.Throttle == 0 {
		t.Throttle = s.throttle
	}
	if !t.runOnceSet && s.runOnce != nil {
		t.RunOnce = *s.runOnce
	}
	if !t.ignoreUnreachableSet && s.ignoreUnreachable != nil {
		t.IgnoreUnreachable = *s.ignoreUnreachable
	}
	if t.AnyErrorsFatal == nil {
		t.AnyErrorsFatal = s.anyErrorsFatal
	}
	if t.DelegateTo == nil {
		t.DelegateTo = s.delegateTo
	}
}

// allOf is a condition that holds when every one of conds holds.
func allOf(conds []*Cond) *Cond {
	if len(conds) == 1 {
		return conds[0]
	}
	c := &Cond{Pos: conds[len(conds)-1].Pos, eng: conds[0].eng}
	var items []any
	var srcs []string
	for _, sub := range conds {
		if list, ok := sub.value.([]any); ok {
			items = append(items, list...)
		} else {
			items = append(items, sub.value)
		}
		srcs = append(srcs, sub.Src)
		for _, n := range sub.Names {
			if !c.hasName(n) {
				c.Names = append(c.Names, n)
			}
		}
	}
	c.value, c.Src = items, strings.Join(srcs, " and ")
	return c
}

// keywords reads the keywords a play, block, role entry or import passes
// down to its tasks; it reports whether key was one of them.
func (p *parser) scopeKey(s *scope, k, v *yaml.Node) bool {
	switch k.Value {
	case "when":
		if c := p.condition(v, "when"); c != nil {
			s.when = append(s.when, c)
		}
	case "tags":
		for _, tag := range p.strList(v, "tags") {
			s.tags = append(s.tags, tag)
			if !slices.Contains(p.tags, tag) {
				p.tags = append(p.tags, tag)
			}
		}
	case "vars":
		if s.vars == nil {
			s.vars = map[string]any{}
		}
		maps.Copy(s.vars, p.varsMap(v, "vars"))
	case "environment":
		p.checkTemplates(v)
		s.env = append(s.env, p.value(v))
	case "become":
		if p.templatedKeyword(v) {
			p.checkTemplates(v)
			s.kwTemplates = maps.Clone(s.kwTemplates)
			if s.kwTemplates == nil {
				s.kwTemplates = map[string]Text{}
			}
			s.kwTemplates[k.Value] = Text{Raw: v.Value, Pos: p.Pos(v), eng: p.eng}
			break
		}
		b := p.boolean(v, "become")
		s.become = &b
		if _, ok := s.kwTemplates[k.Value]; ok {
			s.kwTemplates = maps.Clone(s.kwTemplates)
			delete(s.kwTemplates, k.Value)
		}
	case "become_user":
		s.becomeUser = p.Str(v, "become_user")
	case "become_method":
		s.becomeMethod = p.becomeMethod(v)
	case "become_flags":
		f := p.Str(v, "become_flags")
		s.becomeFlags = &f
	case "ignore_errors", "check_mode", "diff", "no_log":
		if p.templatedKeyword(v) {
			p.checkTemplates(v)
			if s.kwTemplates == nil {
				s.kwTemplates = map[string]Text{}
			} else {
				s.kwTemplates = maps.Clone(s.kwTemplates)
			}
			s.kwTemplates[k.Value] = Text{Raw: v.Value, Pos: p.Pos(v), eng: p.eng}
			break
		}
		b := p.boolean(v, k.Value)
		switch k.Value {
		case "ignore_errors":
			s.ignoreErrors = &b
		case "check_mode":
			s.checkMode = &b
		case "diff":
			s.diff = &b
		case "no_log":
			s.noLog = &b
		}
		if _, ok := s.kwTemplates[k.Value]; ok {
			s.kwTemplates = maps.Clone(s.kwTemplates)
			delete(s.kwTemplates, k.Value)
		}
	case "run_once":
		b := p.boolean(v, "run_once")
		s.runOnce = &b
	case "any_errors_fatal":
		b := p.boolean(v, k.Value)
		s.anyErrorsFatal = &b
	case "ignore_unreachable":
		b := p.boolean(v, k.Value)
		s.ignoreUnreachable = &b
	case "throttle":
		s.throttle = p.integer(v, "throttle")
	case "delegate_to":
		txt := p.textNode(v, "delegate_to")
		s.delegateTo = &txt
	case "module_defaults":
		p.Errorf(k, "write the arguments on each task", "module_defaults is not supported by remotectl")
	case "name", "collections", "debugger":
	default:
		return false
	}
	return true
}

// taskList reads a list of tasks, blocks and imports.
func (p *parser) taskList(n *yaml.Node, s *scope) []*Task {
	what := "tasks"
	if s.handler {
		what = "handlers"
	}
	if yamlnode.IsNull(n) {
		return nil
	}
	var out []*Task
	for _, item := range p.Sequence(n, what) {
		out = append(out, p.taskItem(item, s)...)
	}
	return out
}

// taskItem reads one item of a task list: a block, an import or a task.
func (p *parser) taskItem(n *yaml.Node, s *scope) []*Task {
	if n.Kind != yaml.MappingNode {
		p.Mapping(n, "a task")
		return nil
	}
	keys := mapKeys(n)
	switch {
	case slices.Contains(keys, "block"):
		return p.block(n, s)
	case hasAny(keys, "import_tasks", "ansible.builtin.import_tasks", "include", "ansible.builtin.include"):
		return p.importTasks(n, s)
	case hasAny(keys, "import_role", "ansible.builtin.import_role"):
		return p.importRole(n, s)
	case hasAny(keys, "include_tasks", "ansible.builtin.include_tasks", "include_role", "ansible.builtin.include_role"):
		if t := p.include(n, s); t != nil {
			return []*Task{t}
		}
		return nil
	case hasAny(keys, "import_playbook", "ansible.builtin.import_playbook"):
		p.Errorf(n, "import_playbook goes at the top level of a playbook, among the plays", "import_playbook in a task list")
		return nil
	}
	if t := p.task(n, s); t != nil {
		return []*Task{t}
	}
	return nil
}

func hasAny(keys []string, names ...string) bool {
	for _, n := range names {
		if slices.Contains(keys, n) {
			return true
		}
	}
	return false
}

// block reads a block with its rescue and always sections.
func (p *parser) block(n *yaml.Node, s *scope) []*Task {
	bs := s.child()
	b := &Block{Parent: s.block, Section: s.section, Pos: p.Pos(n)}
	var sections [3]*yaml.Node
	for _, kv := range p.Mapping(n, "a block") {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "block":
			sections[0] = v
		case "rescue":
			sections[1] = v
			b.HasRescue = !yamlnode.IsNull(v) && len(v.Content) > 0
		case "always":
			sections[2] = v
		case "notify": // the block's tasks that set none notify these (Ansible's inheritance)
			bs.notify = p.strList(v, "notify")
		case "register", "loop", "with_items":
			p.Errorf(k, "put it on the tasks of the block", "a block cannot have %s:", k.Value)
		default:
			if !p.scopeKey(bs, k, v) {
				p.Errorf(k, yamlnode.DidYouMean(k.Value, append([]string{"block", "rescue", "always"}, taskKeys...)), "unknown block key %q", k.Value)
			}
		}
	}
	bs.block = b
	var out []*Task
	for i, name := range []string{"block", "rescue", "always"} {
		if sections[i] == nil {
			continue
		}
		ss := bs.child()
		ss.section = name
		out = append(out, p.taskList(sections[i], ss)...)
	}
	return out
}

// inFile reads another file of the playbook (an imported task file, a
// role's file) with its own positions; read is called with its root
// node, nil when the file is empty.
func (p *parser) inFile(at *yaml.Node, path string, read func(root *yaml.Node)) bool {
	if p.depth >= maxFileDepth {
		p.Errorf(at, "a file imports itself, directly or not", "%s: files nested more than %d deep", path, maxFileDepth)
		return false
	}
	abs, _ := filepath.Abs(path)
	if p.reading[abs] {
		p.Errorf(at, "a file cannot import itself, directly or not", "%s imports itself", path)
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		p.Errorf(at, "paths are relative to the file that names them, then to the playbook", "cannot read %s: %s", path, unwrapPathError(err))
		return false
	}
	if p.reading == nil {
		p.reading = map[string]bool{}
	}
	p.reading[abs] = true
	defer delete(p.reading, abs)
	root, err := playbookFile.ParseFile(path, data)
	if err != nil {
		p.Errs = append(p.Errs, err)
		return false
	}
	saved, savedData := p.decoder, p.data
	p.decoder = newDecoder(path, len(data))
	p.decoder.decrypt = saved.decrypt
	p.data = data
	p.depth++
	read(root)
	p.depth--
	saved.Errs = append(saved.Errs, p.decoder.Errs...)
	p.decoder, p.data = saved, savedData
	return true
}

// findTaskFile resolves an imported task file as Ansible does: beside
// the importing file (a role's tasks/), then the playbook's directory.
func (p *parser) findFile(s *scope, kind, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	var dirs []string
	if s.role != nil {
		dirs = append(dirs, filepath.Join(s.role.Dir, kind))
	}
	dirs = append(dirs, s.dir, filepath.Join(s.dir, kind), filepath.Join(p.pb.Dir, kind), p.pb.Dir)
	for _, d := range dirs {
		path := filepath.Join(d, name)
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	return filepath.Join(dirs[0], name)
}

// importKeys are the keys of an import or include besides its action.
var importKeys = []string{"name", "when", "tags", "vars", "environment", "become", "become_user", "become_method",
	"ignore_errors", "check_mode", "diff", "no_log", "run_once", "loop", "with_items", "with_list", "loop_control",
	"args", "apply", "any_errors_fatal", "debugger", "delegate_to", "register", "ignore_unreachable"}

// importTasks reads import_tasks: the file's tasks, read now, inherit the
// import's keywords.
func (p *parser) importTasks(n *yaml.Node, s *scope) []*Task {
	is := s.child()
	var fileNode *yaml.Node
	for _, kv := range p.Mapping(n, "import_tasks") {
		k, v := kv[0], kv[1]
		switch shortAction(k.Value) {
		case "import_tasks", "include":
			fileNode = v
		default:
			if !p.scopeKey(is, k, v) {
				p.Errorf(k, yamlnode.DidYouMean(k.Value, importKeys), "import_tasks: unsupported key %q", k.Value)
			}
		}
	}
	if fileNode != nil && fileNode.Kind == yaml.MappingNode { // import_tasks: {file: x.yml}
		var file *yaml.Node
		for _, kv := range p.Mapping(fileNode, "import_tasks") {
			if kv[0].Value != "file" {
				p.Errorf(kv[0], "import_tasks: FILE, or import_tasks: {file: FILE}", "import_tasks: unsupported parameter %q", kv[0].Value)
				continue
			}
			file = kv[1]
		}
		if file == nil {
			p.Errorf(fileNode, "import_tasks: {file: FILE}", "import_tasks: the file is missing")
			return nil
		}
		fileNode = file
	}
	name := p.Str(fileNode, "import_tasks")
	if jinja.IsTemplate(name) {
		p.Errorf(fileNode, "use include_tasks: for a file name that depends on variables", "import_tasks: the file name cannot hold a template")
		return nil
	}
	path := p.findFile(s, "tasks", name)
	var out []*Task
	p.inFile(fileNode, path, func(root *yaml.Node) {
		is.dir = filepath.Dir(path)
		if root != nil {
			out = p.taskList(root, is)
		}
	})
	return out
}

// lateVarsFiles reads the vars_files whose names hold templates (or that
// are lists: the first file found), rendered with the host's variables;
// a name that cannot be rendered yet is left out.
func (h *hostRun) lateVarsFiles(vars map[string]any) map[string]any {
	play := h.br.plan.Play
	var out map[string]any
	for _, entry := range play.VarsFiles {
		if !jinja.IsTemplate(entry) && !strings.Contains(entry, "\x00") {
			continue
		}
		for _, name := range strings.Split(entry, "\x00") {
			rendered := name
			if jinja.IsTemplate(name) {
				v, err := h.br.e.pb.eng.Render(name, vars)
				if err != nil {
					continue
				}
				rendered = jinja.String(v)
			}
			if !filepath.IsAbs(rendered) {
				rendered = filepath.Join(play.Dir, rendered)
			}
			loaded, err := h.br.e.varsFile(rendered)
			if err != nil {
				continue
			}
			if out == nil {
				out = map[string]any{}
			}
			maps.Copy(out, loaded)
			break
		}
	}
	return out
}

// varsFile reads a vars file once per run.
func (e *executor) varsFile(path string) (map[string]any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.files[path]; ok {
		return v, nil
	}
	v, err := loadVarsFile(path, e.pb.decrypt)
	if err != nil {
		return nil, err
	}
	e.files[path] = v
	return v, nil
}
