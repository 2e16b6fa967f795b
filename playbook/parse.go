package playbook

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/playbook/jinja"
)

// LoadOptions tune parsing.
type LoadOptions struct {
	// LookupEnv reads the environment for {{ lookup('env', 'NAME') }}; nil
	// means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Secrets receives the playbook's secrets: the values env reads and the
	// secret variables of plays and vars_files (inventory.IsSecretVar). Nil
	// means a new Secrets; either way it is the Playbook's Secrets.
	Secrets *Secrets
	// RolesPath are the directories roles are looked up in, after the
	// roles/ directory next to the playbook and the playbook's directory
	// (ansible.cfg roles_path, ANSIBLE_ROLES_PATH).
	RolesPath []string
	// Decrypt decrypts Ansible Vault content: a vars file that starts with
	// $ANSIBLE_VAULT; and YAML scalars tagged !vault. Nil means vault
	// content is refused (with a hint to give --vault-password-file).
	Decrypt func([]byte) ([]byte, error)
}

// Load reads and validates a playbook file. Every problem is reported at
// once, each a *ParseError naming file:line:col.
func Load(path string, opts LoadOptions) (*Playbook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ParseError{Pos: path, Msg: "cannot read the playbook: " + unwrapPathError(err),
			Hint: "check the path given to remotectl play"}
	}
	return Parse(path, data, opts)
}

func unwrapPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse validates a playbook: name is used in error positions and its
// directory to resolve vars_files, script, copy and template sources.
func Parse(name string, data []byte, opts LoadOptions) (*Playbook, error) {
	root, err := playbookFile.ParseFile(name, data)
	if err != nil {
		return nil, err
	}
	pb := &Playbook{File: name, Dir: filepath.Dir(name), Secrets: opts.Secrets}
	if pb.Secrets == nil {
		pb.Secrets = &Secrets{}
	}
	if root == nil {
		return nil, &ParseError{Pos: name, Msg: "the playbook is empty", Hint: "write a list of plays: - hosts: web\\n  tasks: [...]"}
	}
	p := &parser{
		decoder: newDecoder(name, len(data)),
		pb:      pb,
		data:    data,
		eng:     newEngine(opts.LookupEnv, pb.Secrets, pb.Dir),
	}
	p.decrypt, pb.decrypt, pb.eng = opts.Decrypt, opts.Decrypt, p.eng
	p.rolesPath = opts.RolesPath
	if abs, err := filepath.Abs(name); err == nil {
		p.reading = map[string]bool{abs: true}
	}
	p.roles = map[string]*loadedRole{}
	p.plays(root, 0)
	if err := p.Err(); err != nil {
		return nil, err
	}
	for _, play := range pb.Plays {
		pb.Secrets.Add(inventory.SecretValues(omap.PlainMap(play.Vars))...)
		pb.Secrets.Add(inventory.SecretValues(omap.PlainMap(play.FileVars))...)
	}
	for _, play := range pb.Plays {
		for _, t := range play.Tasks {
			t.Name = pb.Secrets.Redact(t.Name) // rendered with the play's vars
		}
	}
	pb.Tags = p.tags
	return pb, nil
}

// parser turns YAML nodes into plays and tasks.
type parser struct {
	*decoder
	pb          *Playbook
	data        []byte
	eng         *jinja.Engine
	tags        []string
	playVars    map[string]any // the vars of the play being read, for task names
	rolesPath   []string
	roles       map[string]*loadedRole // role files read, by directory
	depth       int                    // of nested files (imports, roles), bounded
	fileDir     string                 // the directory of the playbook file being read (import_playbook)
	currentPlay *Play
	cur         *scope          // the scope of the task being read
	reading     map[string]bool // the files being read (imports), by absolute path
}

// unknownKey reports a key nothing reads.
func (p *parser) unknownKey(k *yaml.Node, what string, keys []string, unsupported map[string]string) {
	if hint, ok := unsupported[k.Value]; ok {
		p.Errorf(k, hint, "%s: %q is not supported by remotectl", what, k.Value)
		return
	}
	p.Errorf(k, yamlnode.DidYouMean(k.Value, keys), "unknown %s key %q", what, k.Value)
}

// varsMap reads a vars: mapping. The templates its values hold are
// checked now and rendered when a task reads them.
func (p *parser) varsMap(n *yaml.Node, what string) map[string]any {
	vars := map[string]any{}
	if n.Kind == yaml.SequenceNode { // a list of mappings, merged in order, as Ansible accepts
		for _, item := range p.Sequence(n, what) {
			maps.Copy(vars, p.varsMap(item, what))
		}
		return vars
	}
	for _, kv := range p.Mapping(n, what) {
		vars[kv[0].Value] = p.value(kv[1])
		p.checkTemplates(kv[1])
	}
	return vars
}

// checkTemplates checks every template among n's scalars.
func (p *parser) checkTemplates(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		if jinja.IsTemplate(n.Value) {
			if err := p.eng.Check(n.Value); err != nil {
				p.Errs = append(p.Errs, dialectHint(n.Value, templateError(p.srcPos(n), "bad template: ", err)))
			}
		}
		return
	}
	for _, c := range n.Content {
		p.checkTemplates(c)
	}
}

// varsFileNames reads vars_files: names without templates, read now;
// the others are kept and read when the play runs (per host).
func (p *parser) varsFileNames(n *yaml.Node) []string {
	var out []string
	for _, item := range p.Sequence(n, "vars_files") {
		if item.Kind == yaml.SequenceNode { // the first file found
			out = append(out, strings.Join(p.strList(item, "vars_files"), "\x00"))
			continue
		}
		out = append(out, p.Str(item, "vars_files item"))
	}
	return out
}

// varsFiles reads the vars files, in order, later files winning. A name
// with a template (or a list, the first found) is read when the play runs.
func (p *parser) varsFiles(n *yaml.Node, paths []string, dir string) map[string]any {
	merged := map[string]any{}
	for _, path := range paths {
		if jinja.IsTemplate(path) || strings.Contains(path, "\x00") {
			p.checkTemplates(n)
			continue
		}
		full := path
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, path)
		}
		vars, err := loadVarsFile(full, p.decrypt)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				p.Errorf(n, "vars_files are relative to the playbook's directory", "vars file %s: %v", path, err)
				continue
			}
			p.Errs = append(p.Errs, err)
			continue
		}
		maps.Copy(merged, vars)
	}
	return merged
}

// LoadVarsFile reads a YAML (or JSON) mapping of variables.
func LoadVarsFile(path string) (map[string]any, error) {
	return loadVarsFile(path, nil)
}

// loadVarsFile reads a vars file, decrypting it (or its !vault values)
// with decrypt.
func loadVarsFile(path string, decrypt func([]byte) ([]byte, error)) (map[string]any, error) {
	vars, err := loadVarsFileOrdered(path, decrypt)
	if vars == nil {
		return nil, err
	}
	return vars.ToMap(), err
}

// loadVarsFileOrdered is loadVarsFile with the variables in the order
// the file writes them.
func loadVarsFileOrdered(path string, decrypt func([]byte) ([]byte, error)) (*omap.Map, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(unwrapPathError(err))
	}
	if isVault(data) {
		if data, err = decryptVault(path, data, decrypt); err != nil {
			return nil, err
		}
	}
	root, err := playbookFile.ParseFile(path, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return omap.New(0), nil
	}
	d := newDecoder(path, len(data))
	d.decrypt = decrypt
	vars := omap.New(len(root.Content) / 2)
	for _, kv := range d.Mapping(root, "a vars file") {
		vars.Set(kv[0].Value, d.value(kv[1]))
	}
	return vars, d.Err()
}

// serial reads N, "N%" or a list of them (a ramp).
func (p *parser) serial(n *yaml.Node) []Amount {
	if n.Kind == yaml.SequenceNode {
		var out []Amount
		for _, item := range p.Sequence(n, "serial") {
			out = append(out, p.amount(item, "a serial step", false))
		}
		if len(out) == 0 {
			p.Errorf(n, "serial: [1, 25%, 100%]", "serial: the list is empty")
		}
		return out
	}
	return []Amount{p.amount(n, "serial", false)}
}

// amount reads N or "N%". zeroOK allows 0 (max_fail: 0).
func (p *parser) amount(n *yaml.Node, what string, zeroOK bool) Amount {
	bad := func() Amount {
		min := "1"
		if zeroOK {
			min = "0"
		}
		p.Errorf(n, "write a number of hosts (2) or a percentage of the play's hosts (\"25%\")",
			"%s must be a whole number of at least %s or a percentage, not %s", what, min, yamlnode.Describe(n))
		return Amount{N: 1}
	}
	if n.Kind != yaml.ScalarNode || yamlnode.IsNull(n) {
		return bad()
	}
	s := strings.TrimSpace(n.Value)
	a := Amount{}
	if num, ok := strings.CutSuffix(s, "%"); ok {
		a.Percent = true
		s = strings.TrimSpace(num)
	}
	v, err := parseNonNegative(s)
	if err != nil || (!zeroOK && v == 0) || (a.Percent && v > 100) {
		return bad()
	}
	a.N = v
	return a
}

func parseNonNegative(s string) (int, error) {
	if !isDigits(s) || len(s) > 9 {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v, nil
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkNotify reports notify: names no handler has.
func (p *parser) checkNotify(play *Play) {
	names := make([]string, 0, len(play.Handlers))
	for _, h := range play.Handlers {
		names = append(names, h.notifiedBy()...)
	}
	for _, t := range append(slices.Clone(play.Tasks), play.Handlers...) {
		for _, n := range t.Notify {
			if !slices.Contains(names, n) {
				hint := "the play has no handlers: define one with this name"
				if len(names) > 0 {
					hint = yamlnode.DidYouMean(n, names)
				}
				p.Errs = append(p.Errs, &ParseError{Pos: t.Pos, Msg: fmt.Sprintf("notify: no handler is called %q", n), Hint: hint})
			}
		}
	}
}
