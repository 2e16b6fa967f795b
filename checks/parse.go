package checks

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// Load reads and parses check files, in order. Every problem in every file
// is reported, each an *Error, joined with errors.Join.
func Load(paths []string) (*Suite, error) {
	suite := &Suite{}
	var errs []error
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, &ParseError{Pos: p, Msg: "cannot read the check file: " + unwrapPathError(err),
				Hint: "check the path given as an argument, with -F, or in the inventory's checks:"})
			continue
		}
		s, err := Parse(p, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		suite.Checks = append(suite.Checks, s.Checks...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return suite, nil
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
func Parse(name string, data []byte) (*Suite, error) {
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
	if gossOnlyTypes[key.Value] {
		d.Errorf(key, "remove it, or run that part with goss itself", "goss's %q resource type is not supported by remotectl", key.Value)
		return
	}
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
			if p := sc.prop(k.Value); p != nil {
				kind := p.kind
				if sc.kindIn != nil {
					kind = sc.kindIn(body)
				}
				*p.field(c) = d.matcher(v, kind, k.Value)
			} else if o := sc.opt(k.Value); o != nil {
				o.decode(d, v, c)
			} else {
				d.Errorf(k, yamlnode.DidYouMean(k.Value, sc.keys()), "%s: unknown property %q", sc.name, k.Value)
			}
		}
	}
	if len(c.Properties()) == 0 && !c.Skip && len(d.Errs) == errsBefore {
		d.Errorf(key, "add one of: "+sc.propNames(), "%s checks nothing", what)
	}
	if len(d.deferred) == 0 {
		if msg, hint := sc.finish(c); msg != "" {
			d.Errorf(key, hint, "%s", msg)
		}
	}
	return c
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
