package checks

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// Loader loads check files for hosts, with goss's templates. A file whose
// templates all sit inside YAML values ("tcp:{{ .Vars.port }}") is parsed
// once and its values rendered per host by Suite.For. Any other file with
// templates ({{ range }} or {{ if }} around YAML, an unquoted
// {{ .Vars.x }}, a template in a comment) is rendered as a whole for each
// host before it is parsed, as goss renders a gossfile, and so are the
// files it includes. Files are read once; each distinct rendering of a
// file is parsed once. A Loader is not safe for concurrent use.
type Loader struct {
	files  map[string][]byte // contents by path
	parsed map[string]*Suite // by path, and by path and rendering
	env    envReads          // what the templates of the files loaded read
	noted  map[string]bool   // paths whose templates env has read
}

// Load reads and parses check files for host h, in order, as the package
// Load does, rendering the files that are templates as a whole for h.
// h.Vars are the host's variables, command-line variables merged
// (MergeVars); h.Env is the controller's environment.
func (l *Loader) Load(paths []string, h HostInfo) (*Suite, error) {
	return l.load(paths, &h)
}

func (l *Loader) load(paths []string, h *HostInfo) (*Suite, error) {
	suite := &Suite{}
	var errs []error
	for _, p := range paths {
		errs = append(errs, l.loadFile(suite, p, "", 0, h)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return suite, nil
}

// read returns a file's contents, read once.
func (l *Loader) read(path string) ([]byte, error) {
	if data, ok := l.files[path]; ok {
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if l.files == nil {
		l.files = make(map[string][]byte)
	}
	l.files[path] = data
	return data, nil
}

// parse parses one file's data for h: rendered as a whole first when the
// file needs it. Successful parses are kept for the next host.
func (l *Loader) parse(path string, data []byte, h *HostInfo) (*Suite, error) {
	key := path
	if wholeFileTemplate(data) {
		l.noteFile(path, data)
		if h == nil {
			return nil, &ParseError{Pos: path, Msg: "the file's templates wrap YAML: it is rendered for each host before it is read, which is not done here",
				Hint: "give the file to remotectl check, or keep templates inside quoted values"}
		}
		rendered, err := renderFile(path, data, *h)
		if err != nil {
			return nil, err
		}
		key, data = path+"\x00"+string(rendered), rendered
		if s, ok := l.parsed[key]; ok {
			return s, nil
		}
		s, err := parse(path, data)
		if err != nil {
			return nil, afterRendering(err, path, h.Name)
		}
		l.keep(key, s)
		return s, nil
	}
	if s, ok := l.parsed[key]; ok {
		return s, nil
	}
	s, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	l.keep(key, s)
	return s, nil
}

// keep keeps a parsed suite for the next host, and notes what its value
// templates read of the environment.
func (l *Loader) keep(key string, s *Suite) {
	if l.parsed == nil {
		l.parsed = make(map[string]*Suite)
	}
	l.parsed[key] = s
	for _, c := range s.Checks {
		if c.tmpl != nil {
			for _, st := range c.tmpl.scalars {
				l.env.template(st.tmpl)
			}
		}
	}
}

// noteFile notes what a whole-file template reads of the environment,
// once per file (its syntax errors are renderFile's to report).
func (l *Loader) noteFile(path string, data []byte) {
	if l.noted[path] {
		return
	}
	if l.noted == nil {
		l.noted = make(map[string]bool)
	}
	l.noted[path] = true
	if t, err := template.New(path).Funcs(templateFuncs(nil)).Parse(string(data)); err == nil {
		l.env.template(t)
	}
}

// Render returns a check file as rendered for host h, as goss render shows
// it before it is read as YAML: every template of the text executed, those
// inside values too. Includes are not followed.
func (l *Loader) Render(path string, h HostInfo) ([]byte, error) {
	data, err := l.read(path)
	if err != nil {
		return nil, &ParseError{Pos: path, Msg: "cannot read the check file: " + unwrapPathError(err)}
	}
	if !bytes.Contains(data, []byte("{{")) {
		return data, nil
	}
	return renderFile(path, data, h)
}

// wholeFileTemplate reports whether a file's templates must be rendered
// before it is read as YAML: it has some, and not all of them lie inside
// the scalars of a document that parses.
func wholeFileTemplate(data []byte) bool {
	n := bytes.Count(data, []byte("{{"))
	if n == 0 {
		return false
	}
	root, _, err := yamlnode.ParseDocument(data)
	if err != nil || root == nil {
		return true
	}
	return templatesInScalars(root, 0) != n
}

// templatesInScalars counts the "{{" in the scalars under n.
func templatesInScalars(n *yaml.Node, depth int) int {
	if depth > 200 {
		return 0
	}
	count := strings.Count(n.Value, "{{")
	if n.Kind != yaml.ScalarNode {
		count = 0
	}
	for _, c := range n.Content {
		count += templatesInScalars(c, depth+1)
	}
	return count
}

// fileData is what a whole-file template sees: goss's .Vars and .Env, and
// remotectl's .Host.
type fileData struct {
	Host HostInfo
	Vars map[string]any
	Env  map[string]string
}

// renderFile executes a file's text as one template for host h, with
// goss's functions and missingkey=error, as goss's template filter does.
// Errors name the template's line (and column) in the file.
func renderFile(path string, data []byte, h HostInfo) ([]byte, error) {
	tmpl, err := template.New(path).Funcs(templateFuncs(h.Env)).Option("missingkey=error").Parse(string(data))
	if err != nil {
		return nil, templateFileError(path, h.Name, err)
	}
	vars := h.Vars
	if vars == nil {
		vars = map[string]any{}
	}
	env := h.Env
	if env == nil {
		env = map[string]string{}
	}
	var b strings.Builder
	fd := fileData{Host: HostInfo{Name: h.Name, Vars: vars}, Vars: vars, Env: env}
	if err := tmpl.Execute(&limitedBuilder{b: &b, max: maxRendered}, fd); err != nil {
		return nil, templateFileError(path, h.Name, err)
	}
	return []byte(b.String()), nil
}

// templateLocation is text/template's "template: NAME:LINE[:COL]: " prefix.
var templateLocation = regexp.MustCompile(`^template: (.*?):(\d+)(?::(\d+))?: `)

// templateFileError places a whole-file template's error at its line (and
// column) in the file.
func templateFileError(path, host string, err error) error {
	msg := err.Error()
	pos := path
	if m := templateLocation.FindStringSubmatch(msg); m != nil && m[1] == path {
		pos = path + ":" + m[2]
		if col, err := strconv.Atoi(m[3]); err == nil {
			pos += ":" + strconv.Itoa(col+1) // text/template counts from 0
		}
		msg = yamlnode.TemplateError(path, err)
	}
	hint := fmt.Sprintf("the file is rendered for each host before it is read (here %s): {{ .Vars.name }}, {{ .Env.NAME }}, {{ .Host.Name }}", host)
	if strings.Contains(msg, "map has no entry for key") {
		hint = fmt.Sprintf(`define it for %s (--vars, --vars-inline, the inventory), or read an optional one with index: {{ index .Vars "name" }}`, host)
	}
	return &ParseError{Pos: pos, Msg: "template: " + msg, Hint: hint}
}

// afterRendering marks the problems found in a rendered file: their
// positions are in the rendered text, which --render shows.
func afterRendering(err error, path, host string) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	note := fmt.Sprintf("the line is that of %s as rendered for %s (remotectl check --render %s -H %s)", path, host, path, host)
	out := make([]error, len(errs))
	for i, e := range errs {
		var pe *ParseError
		if !errors.As(e, &pe) {
			out[i] = fmt.Errorf("%w; %s", e, note)
			continue
		}
		c := *pe
		c.Hint = strings.TrimPrefix(c.Hint+"; "+note, "; ")
		out[i] = &c
	}
	return errors.Join(out...)
}
