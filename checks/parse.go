package checks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// Load reads and parses check files, in order. Every problem in every file
// is reported, each an *Error, joined with errors.Join.
//
// A file's gossfile: entries include other check files, as goss does: the
// entry's file: or id, relative to the including file's directory, may be
// a glob (each match is read, in order; none is an error), skip: true
// leaves it out, and includes nest up to 50 deep.
//
// Load has no host: a file that must be rendered as a whole before it is
// parsed (templates around YAML, as goss allows) is refused; Loader.Load
// renders it for each host.
func Load(paths []string) (*Suite, error) {
	return (&Loader{}).load(paths, nil)
}

// maxIncludeDepth is goss's limit on nested gossfile includes.
const maxIncludeDepth = 50

// loadFile reads one check file and the files it includes into suite.
// from is the position of the gossfile entry that named it ("" for a file
// given by the user).
func (l *Loader) loadFile(suite *Suite, path, from string, depth int, h *HostInfo) []error {
	data, err := l.read(path)
	if err != nil {
		if from != "" {
			return []error{&ParseError{Pos: from, Msg: "cannot read the included check file " + path + ": " + unwrapPathError(err),
				Hint: "gossfile paths are relative to the file that includes them"}}
		}
		return []error{&ParseError{Pos: path, Msg: "cannot read the check file: " + unwrapPathError(err),
			Hint: "check the path given as an argument, with -F, or in the inventory's checks:"}}
	}
	s, err := l.parse(path, data, h)
	if err != nil {
		return []error{err}
	}
	suite.Checks = append(suite.Checks, s.Checks...)
	var errs []error
	for _, inc := range s.includes {
		if depth+1 >= maxIncludeDepth {
			return append(errs, &ParseError{Pos: inc.pos, Msg: fmt.Sprintf("gossfile includes nest more than %d deep", maxIncludeDepth),
				Hint: "a file probably includes itself"})
		}
		pattern := inc.file
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(filepath.Dir(path), pattern)
		}
		matches, err := filepath.Glob(pattern)
		if err != nil || len(matches) == 0 {
			errs = append(errs, &ParseError{Pos: inc.pos, Msg: fmt.Sprintf("gossfile %q matches no file", pattern),
				Hint: "gossfile paths are relative to the file that includes them; skip: true leaves one out"})
			continue
		}
		for _, m := range matches {
			errs = append(errs, l.loadFile(suite, m, inc.pos, depth+1, h)...)
		}
	}
	return errs
}

// unwrapPathError drops the path os.ReadFile repeats in its error.
func unwrapPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse parses one check file: goss's format (resource type, then id, then
// properties), plus hosts: at the top level and per check, and from:,
// title:, skip:, timeout: per check. name is used in error positions. Values
// may hold Go templates ({{ .Host.Name }}, {{ .Vars.port }}): they are
// syntax-checked here and executed per host by Suite.For.
//
// gossfile: includes need the file's directory: Parse refuses them (Load
// reads them).
func Parse(name string, data []byte) (*Suite, error) {
	s, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	if len(s.includes) > 0 {
		return nil, &ParseError{Pos: s.includes[0].pos, Msg: "gossfile includes cannot be read here",
			Hint: "include other check files from a check file given to remotectl check"}
	}
	return s, nil
}

// parse parses one check file, keeping its gossfile includes for Load.
func parse(name string, data []byte) (*Suite, error) {
	root, err := checkFile.ParseFile(name, data)
	if err != nil {
		return nil, err
	}
	suite := &Suite{}
	if root == nil {
		return suite, nil
	}
	d := newDecoder(name, len(data))
	pairs := d.Mapping(root, "a check file")
	defaults := d.fileDefaults(pairs)
	for _, kv := range pairs {
		key, body := kv[0], kv[1]
		if key.Value == "hosts" {
			continue
		}
		if key.Value == "gossfile" {
			suite.includes = append(suite.includes, d.includes(body)...)
			continue
		}
		sc := schemas[key.Value]
		if sc == nil {
			d.unknownType(key)
			continue
		}
		for _, ck := range d.Mapping(body, key.Value+" checks") {
			suite.Checks = append(suite.Checks, d.parseCheck(sc, ck[0], ck[1], defaults))
		}
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return suite, nil
}

// include is a gossfile: entry not skipped.
type include struct {
	pos  string // the entry's file:line:col
	id   string
	file string // its file: or id, as written
}

// includes reads a gossfile: section: id → {file, skip, title, meta}. A
// path with templates cannot be read before a host is chosen: refused.
func (d *decoder) includes(body *yaml.Node) []include {
	var out []include
	for _, kv := range d.Mapping(body, "gossfile entries") {
		inc := include{pos: d.Pos(kv[0]), id: kv[0].Value, file: kv[0].Value}
		skip := false
		for _, p := range d.Mapping(kv[1], "gossfile "+kv[0].Value) {
			switch p[0].Value {
			case "file":
				inc.file = d.Str(p[1], "file")
			case "skip":
				skip = d.boolean(p[1], "skip")
			case "title", "meta":
			default:
				d.Errorf(p[0], yamlnode.DidYouMean(p[0].Value, []string{"file", "skip", "title", "meta"}), "gossfile: unknown property %q", p[0].Value)
			}
		}
		if strings.Contains(inc.file, "{{") {
			d.Errorf(kv[0], "name the file without templates", "gossfile paths cannot use templates")
		}
		if !skip {
			out = append(out, inc)
		}
	}
	// goss reads the entries in the order of their ids.
	sort.SliceStable(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// fileDefaults are the top-level settings every check of a file inherits.
type fileDefaults struct {
	hosts string
}

func (d *decoder) fileDefaults(pairs [][2]*yaml.Node) fileDefaults {
	var def fileDefaults
	for _, kv := range pairs {
		if kv[0].Value == "hosts" {
			def.hosts = d.hostsPattern(kv[1])
		}
	}
	return def
}

// hostsPattern reads a hosts: pattern. Templates are refused: hosts are
// selected before any host's variables are known.
func (d *decoder) hostsPattern(n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode {
		return strings.Join(d.strList(n, "hosts"), ",")
	}
	s := d.Str(n, "hosts")
	if strings.Contains(s, "{{") {
		d.Errorf(n, "select hosts with a pattern (web*, db:&prod); use templates in check values", "hosts: cannot use templates")
	}
	return s
}

func (d *decoder) unknownType(key *yaml.Node) {
	d.Errorf(key, yamlnode.DidYouMean(key.Value, append(typeNames(), "hosts")), "unknown resource type %q", key.Value)
}

// parseCheck reads one check. A check whose scalars hold templates is
// checked as far as possible here (keys, structure, template syntax) and
// kept for Suite.For to render per host.
func (d *decoder) parseCheck(sc *schema, key, body *yaml.Node, def fileDefaults) *Check {
	var tmpls map[*yaml.Node]*scalarTemplate
	if !d.rendering {
		tmpls = d.findTemplates(key, body)
	}
	if len(tmpls) > 0 {
		d.deferred = make(map[*yaml.Node]bool, len(tmpls))
		for n := range tmpls {
			d.deferred[n] = true
		}
		defer func() { d.deferred = nil }()
	}
	c := d.decodeCheck(sc, key, body, def)
	if len(tmpls) > 0 {
		c.tmpl = &checkTemplate{typ: sc.name, file: d.File, key: key, body: body, scalars: tmpls, defaults: def}
	}
	return c
}

// decodeCheck reads a check's id and body into a Check.
func (d *decoder) decodeCheck(sc *schema, key, body *yaml.Node, def fileDefaults) *Check {
	c := &Check{Pos: d.Pos(key), Type: sc.name, ID: key.Value, Hosts: def.hosts, From: sc.from}
	errsBefore := len(d.Errs)
	sc.init(c)
	what := fmt.Sprintf("%s %q", sc.name, key.Value)
	ignored := false
	for _, kv := range d.Mapping(body, what) {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "title":
			c.Title = d.Str(v, "title")
		case "hosts":
			c.Hosts = d.hostsPattern(v)
		case "from":
			c.From = d.vantage(v, sc)
		case "skip":
			c.Skip = d.boolean(v, "skip")
		case "timeout":
			c.Timeout = d.duration(v, "timeout")
		case "retry_count", "retry_delay":
			if !sc.retries {
				d.Errorf(k, yamlnode.DidYouMean(k.Value, sc.keys()), "%s: unknown property %q", sc.name, k.Value)
			} else if k.Value == "retry_count" {
				c.RetryCount = d.count(v, k.Value)
			} else {
				c.RetryDelay = d.duration(v, k.Value)
			}
		case "meta":
			// goss's free-form metadata: accepted so goss files run unchanged.
		default:
			if emptyOutputList(sc, k.Value, v) {
				ignored = true // goss asserts nothing with it (resource.go's isSetWarnEmpty)
				continue
			}
			if p := sc.prop(k.Value); p != nil {
				kind := p.kind
				if sc.kindIn != nil {
					kind = sc.kindIn(body)
				}
				*p.field(c) = d.propertyMatcher(v, kind, k.Value)
			} else if o := sc.opt(k.Value); o != nil {
				o.decode(d, v, c)
			} else {
				d.Errorf(k, yamlnode.DidYouMean(k.Value, sc.keys()), "%s: unknown property %q", sc.name, k.Value)
			}
		}
	}
	if len(c.Properties()) == 0 && !c.Skip && !ignored && len(d.Errs) == errsBefore {
		d.Errorf(key, "add one of: "+sc.propNames(), "%s checks nothing", what)
	}
	if len(d.deferred) == 0 {
		if msg, hint := sc.finish(c); msg != "" {
			d.Errorf(key, hint, "%s", msg)
		}
	}
	return c
}

// propertyMatcher reads a property's expectation. One that cannot be
// read (an unknown matcher, an operand of the wrong shape) does not stop
// the file, as in goss, which finds out when it validates: the property is
// an error with the problem and its hint, and the rest of the file runs.
func (d *decoder) propertyMatcher(v *yaml.Node, kind valueKind, prop string) *Matcher {
	before := len(d.Errs)
	m := d.matcher(v, kind, prop)
	if len(d.Errs) == before {
		return m
	}
	problems := make([]string, 0, len(d.Errs)-before)
	for _, err := range d.Errs[before:] {
		problems = append(problems, err.Error())
	}
	d.Errs = d.Errs[:before]
	return &Matcher{Text: flowYAML(v), invalid: strings.Join(problems, "; ")}
}

// emptyOutputList reports whether a property is an output (stdout,
// stderr, contents and goss's older contains, headers, body) given as an
// empty list, which goss does not evaluate: it asserts nothing (goss add
// writes contents: [] so). Its result is left out, as in goss.
func emptyOutputList(sc *schema, name string, v *yaml.Node) bool {
	if v.Kind != yaml.SequenceNode || len(v.Content) != 0 || sc.kindIn != nil {
		return false
	}
	if sc.name == "file" && name == "contains" {
		return true
	}
	p := sc.prop(name)
	return p != nil && p.kind == kindText
}

// vantage reads from: host or from: controller.
func (d *decoder) vantage(n *yaml.Node, sc *schema) Vantage {
	if d.isDeferred(n) {
		return sc.from
	}
	v := Vantage(d.Str(n, "from"))
	for _, ok := range sc.vantages {
		if v == ok {
			return v
		}
	}
	if v == FromHost || v == FromController {
		d.Errorf(n, "", "%s checks can only be observed from the host", sc.name)
	} else {
		d.Errorf(n, "", "from: must be host or controller, not %q", string(v))
	}
	return sc.from
}
