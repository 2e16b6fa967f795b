package playbook

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// fileSearch finds a task's relative controller files as Ansible's
// DataLoader.path_dwim_relative_stack: in each directory of the task's
// search path (its role, then the directory of its task file), under
// the kind's subdirectory (files, templates, vars) and then directly,
// and last in the playbook's directory the same way.
type fileSearch struct {
	paths   []string // ansible_search_path without the base directory
	basedir string   // the playbook's directory
	subdir  string   // files, templates or vars
}

// searchPath is the task's ansible_search_path: its role's directory,
// then the directory of the file the task is written in, then the
// playbook's directory, as Ansible's Task.get_search_path (the roles
// that depend on the task's role are not in it).
func (t *Task) searchPath(pbDir string) []string {
	var paths []string
	add := func(p string) {
		if abs, err := filepath.Abs(p); err == nil && !slices.Contains(paths, abs) {
			paths = append(paths, abs)
		}
	}
	if t.Role != nil {
		add(t.Role.Dir)
	}
	if t.Dir != "" {
		add(t.Dir)
	}
	add(pbDir)
	return paths
}

// fileSearch returns the search of the task's files of a kind.
func (t *Task) fileSearch(pbDir, subdir string) fileSearch {
	return newFileSearch(t.searchPath(pbDir), pbDir, subdir)
}

func newFileSearch(paths []string, pbDir, subdir string) fileSearch {
	base, err := filepath.Abs(pbDir)
	if err != nil {
		base = pbDir
	}
	return fileSearch{paths: paths, basedir: base, subdir: subdir}
}

// searchOf is the file search of a lookup in a template: the rendering's
// ansible_search_path (a task's), else the playbook's directory.
func searchOf(vars map[string]any, pbDir, subdir string) fileSearch {
	var paths []string
	if list, ok := vars["ansible_search_path"].([]string); ok {
		paths = list
	}
	return newFileSearch(paths, pbDir, subdir)
}

// candidates are the paths source is looked for at, in order.
func (s fileSearch) candidates(source string) []string {
	if strings.HasPrefix(source, "/") || strings.HasPrefix(source, "~") {
		return []string{expandHome(source)}
	}
	usesSubdir := strings.Split(source, "/")[0] == s.subdir
	var out []string
	for _, p := range s.paths {
		if parent := filepath.Dir(p); strings.HasSuffix(parent, "/tasks") && isRoleDir(p) {
			out = append(out, filepath.Join(filepath.Dir(parent), s.subdir, source), filepath.Join(parent, source))
			continue
		}
		if !usesSubdir {
			out = append(out, filepath.Join(p, s.subdir, source))
		}
		out = append(out, filepath.Join(p, source))
	}
	if !usesSubdir {
		out = append(out, filepath.Join(s.basedir, s.subdir, source))
	}
	return append(out, filepath.Join(s.basedir, source))
}

// isRoleDir is Ansible's imperfect role detection (DataLoader._is_role).
func isRoleDir(p string) bool {
	exists := func(parts ...string) bool {
		_, err := os.Stat(filepath.Join(parts...))
		return err == nil
	}
	for _, main := range []string{"main.yml", "main.yaml", "main"} {
		if strings.Contains(p, "tasks") && exists(p, main) {
			return true
		}
		if exists(p, "tasks", main) || exists(p, "meta", main) || exists(filepath.Dir(p), "tasks", main) {
			return true
		}
	}
	return false
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return home + p[1:]
		}
	}
	return p
}

// find returns the first candidate of source that exists.
func (s fileSearch) find(source string) (string, bool) {
	for _, c := range s.candidates(source) {
		if _, err := os.Stat(c); err == nil {
			return c, true
		}
	}
	return "", false
}

// loopSubdir is the directory kind with_first_found searches for a task,
// as Ansible's: templates for a template task, vars for include_vars,
// files otherwise.
func loopSubdir(t *Task) string {
	action := t.Key
	if t.Action != nil {
		action = t.Action.Kind()
	}
	for _, kind := range []string{"template", "var", "file"} {
		if strings.Contains(action, kind) {
			return kind + "s"
		}
	}
	return "files"
}

func loopFile(t any, s fileSearch) ([]any, error) {
	return lookupFile(asList(t), nil, s)
}

// lookupFile is the file lookup: each file's text, rstrip'ed unless
// rstrip=False, lstrip'ed when lstrip=True.
func lookupFile(terms []any, kw map[string]any, s fileSearch) ([]any, error) {
	var out []any
	for _, term := range terms {
		name := jinja.String(term)
		p, ok := s.find(name)
		if !ok {
			return nil, fmt.Errorf("could not locate file in lookup: %s", name)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("could not locate file in lookup: %s", name)
		}
		text := string(data)
		if b, ok := kw["lstrip"].(bool); ok && b {
			text = strings.TrimLeft(text, pyWhitespace)
		}
		if b, ok := kw["rstrip"].(bool); !ok || b {
			text = strings.TrimRight(text, pyWhitespace)
		}
		out = append(out, text)
	}
	return out, nil
}

// pyWhitespace is what Python's str.strip() removes.
const pyWhitespace = " \t\n\r\v\f\x1c\x1d\x1e\x1f\x85"

// loopFileglob is the fileglob lookup: the regular files matching each
// pattern, its directory found as a file of the search.
func loopFileglob(t any, s fileSearch) ([]any, error) {
	out := []any{}
	for _, term := range asList(t) {
		pattern := jinja.String(term)
		dir, ok := s.find(filepath.Dir(pattern))
		if !ok {
			continue
		}
		matches, _ := filepath.Glob(filepath.Join(dir, filepath.Base(pattern)))
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// firstFoundTerms are the paths first_found tries, and its skip option,
// as Ansible's _process_terms: a mapping's paths (split on , : ;) times
// its files (split on , ;), paths outermost; a string is a file (or its
// kwargs' files and paths); a list is each of its terms.
func firstFoundTerms(terms []any, kw map[string]any) ([]string, bool, error) {
	var search []string
	skip := false
	for _, term := range terms {
		opts := kw
		switch x := term.(type) {
		case map[string]any, *omap.Map:
			opts, _ = plainDict(x)
		case string:
		case []any:
			sub, s, err := firstFoundTerms(x, kw)
			if err != nil {
				return nil, false, err
			}
			search, skip = append(search, sub...), s
			continue
		default:
			return nil, false, fmt.Errorf("Invalid term supplied, can handle string, mapping or list of strings but got: %s for %s", fmt.Sprintf("%T", term), jinja.String(term))
		}
		files := splitOn(opts["files"], ",;")
		paths := splitOn(opts["paths"], ",:;")
		skip = opts["skip"] == true
		switch {
		case len(paths) > 0:
			for _, p := range paths {
				for _, f := range files {
					search = append(search, pathJoin(p, f))
				}
			}
		case len(files) > 0:
			search = files
		default:
			search = append(search, jinja.String(term))
		}
	}
	return search, skip, nil
}

// pathJoin is Python's os.path.join of two parts.
func pathJoin(a, b string) string {
	if strings.HasPrefix(b, "/") || a == "" {
		return b
	}
	if strings.HasSuffix(a, "/") {
		return a + b
	}
	return a + "/" + b
}

// splitOn is first_found's _split_on of a string or a list of them.
func splitOn(v any, seps string) []string {
	var out []string
	switch x := v.(type) {
	case nil:
	case string:
		out = splitKeepEmpty(x, seps)
	case []any:
		for _, item := range x {
			out = append(out, splitOn(item, seps)...)
		}
	default:
		out = []string{jinja.String(x)}
	}
	return out
}

func splitKeepEmpty(s, seps string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if strings.ContainsRune(seps, r) {
			out = append(out, s[start:i])
			start = i + len(string(r))
		}
	}
	return append(out, s[start:])
}

func loopFirstFound(t any, s fileSearch) ([]any, error) {
	return lookupFirstFound(asList(t), nil, s)
}

// lookupFirstFound is the first_found lookup: the absolute path of the
// first candidate found, [] when none is and skip is set.
func lookupFirstFound(terms []any, kw map[string]any, s fileSearch) ([]any, error) {
	search, skip, err := firstFoundTerms(terms, kw)
	if err != nil {
		return nil, err
	}
	for _, fn := range search {
		if fn == "" {
			continue
		}
		if p, ok := s.find(fn); ok {
			abs, err := filepath.Abs(p)
			if err != nil {
				abs = p
			}
			return []any{abs}, nil
		}
	}
	if skip {
		return []any{}, nil
	}
	return nil, fmt.Errorf("No file was found when using first_found.")
}

// lookupPlugins are the lookup plugins of templates: the loop plugins
// and Ansible's other controller-side lookups (file, template, pipe,
// lines, vars, varnames), their files found through the task's
// ansible_search_path. eng renders template lookups; pbDir is the
// playbook's directory.
func lookupPlugins(pbDir string, eng func() *jinja.Engine) map[string]jinja.Lookup {
	out := map[string]jinja.Lookup{}
	for name, plugin := range loopPlugins {
		out[name] = func(c jinja.LookupCall) ([]any, error) {
			var t any = c.Terms
			if len(c.Terms) == 1 && name != "together" && name != "nested" && name != "cartesian" && name != "subelements" {
				t = c.Terms[0]
			}
			return plugin(t, searchOf(c.Vars, pbDir, "files"))
		}
	}
	out["file"] = func(c jinja.LookupCall) ([]any, error) {
		return lookupFile(c.Terms, c.Kwargs, searchOf(c.Vars, pbDir, "files"))
	}
	out["first_found"] = func(c jinja.LookupCall) ([]any, error) {
		return lookupFirstFound(c.Terms, c.Kwargs, searchOf(c.Vars, pbDir, "files"))
	}
	out["template"] = func(c jinja.LookupCall) ([]any, error) {
		return lookupTemplate(eng(), c, searchOf(c.Vars, pbDir, "templates"))
	}
	out["pipe"] = func(c jinja.LookupCall) ([]any, error) { return lookupPipe(c.Terms, pbDir, false) }
	out["lines"] = func(c jinja.LookupCall) ([]any, error) { return lookupPipe(c.Terms, pbDir, true) }
	out["vars"] = lookupVars(eng)
	out["varnames"] = lookupVarnames
	return out
}

// templateVars are the variables the template module and lookup add, as
// Ansible's generate_ansible_template_vars (ansible_managed with its
// default "Ansible managed").
func templateVars(src, full, dest string) map[string]any {
	host, _ := os.Hostname()
	out := map[string]any{
		"template_host": host, "template_path": src, "template_fullpath": full,
		"template_run_date": pyDatetime(time.Now()), "ansible_managed": "Ansible managed", "template_destpath": nil,
	}
	if dest != "" {
		out["template_destpath"] = dest
	}
	if st, err := os.Stat(full); err == nil {
		out["template_mtime"] = pyDatetime(st.ModTime())
		out["template_uid"] = fileOwner(st)
	}
	return out
}

// pyDatetime is Python's str() of a local datetime.
func pyDatetime(t time.Time) string {
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// lookupTemplate is the template lookup: each file of the templates
// search rendered with the rendering's variables, Ansible's template
// variables and template_vars=.
func lookupTemplate(eng *jinja.Engine, c jinja.LookupCall, s fileSearch) ([]any, error) {
	for k := range c.Kwargs {
		switch k {
		case "convert_data", "template_vars", "jinja2_native":
		default:
			return nil, fmt.Errorf("the template lookup's option %s is not supported by remotectl", k)
		}
	}
	var out []any
	for _, term := range c.Terms {
		name := jinja.String(term)
		p, ok := s.find(name)
		if !ok {
			return nil, fmt.Errorf("the template file %s could not be found for the lookup", name)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("the template file %s could not be found for the lookup", name)
		}
		vars := make(map[string]any, len(c.Vars)+8)
		for k, v := range c.Vars {
			vars[k] = v
		}
		for k, v := range templateVars(name, p, "") {
			vars[k] = v
		}
		if extra, ok := plainDict(c.Kwargs["template_vars"]); ok {
			for k, v := range extra {
				vars[k] = v
			}
		}
		searchPath, _ := c.Vars["ansible_search_path"].([]string)
		text, err := eng.RenderFile(string(data), vars, append([]string{filepath.Dir(p)}, templateSearchPath(searchPath)...))
		if err != nil {
			return nil, err
		}
		out = append(out, text)
	}
	return out, nil
}

// pipeTimeout bounds a pipe lookup's command.
const pipeTimeout = 10 * time.Minute

// lookupPipe is the pipe lookup (each command's output, trailing
// whitespace removed) or, with lines, the lines lookup (each line of
// each output): commands run by /bin/sh on the controller in the
// playbook's directory, as Ansible's; a failing command fails the lookup.
func lookupPipe(terms []any, dir string, lines bool) ([]any, error) {
	var out []any
	for _, term := range terms {
		command := jinja.String(term)
		ctx, cancel := context.WithTimeout(context.Background(), pipeTimeout)
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
		cmd.Dir = dir
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		err := cmd.Run()
		cancel()
		if err != nil {
			code := -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if lines {
				return nil, fmt.Errorf("lookup_plugin.lines(%s) returned %d", command, code)
			}
			return nil, fmt.Errorf("lookup_plugin.pipe(%s) returned %d", command, code)
		}
		if !lines {
			out = append(out, strings.TrimRight(stdout.String(), pyWhitespace))
			continue
		}
		sc := bufio.NewScanner(&stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			out = append(out, strings.TrimSuffix(sc.Text(), "\r"))
		}
	}
	return out, nil
}

// lookupVars is the vars lookup: each named variable, templated; a
// missing one is default= when given, else an undefined error.
func lookupVars(eng func() *jinja.Engine) jinja.Lookup {
	return func(c jinja.LookupCall) ([]any, error) {
		var out []any
		for _, term := range c.Terms {
			name, ok := term.(string)
			if !ok {
				return nil, fmt.Errorf("Invalid setting identifier, \"%s\" is not a string, its a %T", jinja.String(term), term)
			}
			raw, ok := c.Vars[name]
			if !ok {
				if def, has := c.Kwargs["default"]; has {
					out = append(out, def)
					continue
				}
				return nil, &jinja.Error{Kind: jinja.Undefined, Name: name, Msg: fmt.Sprintf("No variable found with this name: %s", name)}
			}
			v, err := eng().Render("{{ "+name+" }}", c.Vars)
			if err != nil {
				return nil, err
			}
			if s, isStr := raw.(string); isStr && !jinja.IsTemplate(s) {
				v = s
			}
			out = append(out, v)
		}
		return out, nil
	}
}

// lookupVarnames is the varnames lookup: the names of the variables
// matching each regular expression (Python's re.search), sorted.
func lookupVarnames(c jinja.LookupCall) ([]any, error) {
	names := make([]string, 0, len(c.Vars))
	for k := range c.Vars {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []any
	for _, term := range c.Terms {
		re, err := regexp.Compile(jinja.String(term))
		if err != nil {
			return nil, fmt.Errorf("Unable to use \"%s\" as a search parameter: %v", jinja.String(term), err)
		}
		for _, n := range names {
			if re.MatchString(n) {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// fileOwner is the name of a file's owner (its uid when it has none).
func fileOwner(st fs.FileInfo) string {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	uid := strconv.FormatUint(uint64(sys.Uid), 10)
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return uid
}

// templateSearchPath is where a template's {% include %} and {% import %}
// look, as Ansible's template action and lookup: each directory's
// templates/, then the directory.
func templateSearchPath(dirs []string) []string {
	out := make([]string, 0, 2*len(dirs))
	for _, d := range dirs {
		out = append(out, filepath.Join(d, "templates"), d)
	}
	return out
}

// firstFoundLoopTerms templates with_first_found's terms as Ansible's
// TaskExecutor does for it: a term (a name, or a mapping of files and
// paths) that uses an undefined variable is dropped as a whole, not an
// error.
func firstFoundLoopTerms(eng *jinja.Engine, terms any, vars map[string]any) (any, error) {
	out := []any{}
	for _, term := range asList(terms) {
		t, err := templateArgs(eng, term, vars)
		switch {
		case err != nil && jinja.IsUndefined(err):
		case err != nil:
			return nil, err
		default:
			out = append(out, t)
		}
	}
	return out, nil
}
