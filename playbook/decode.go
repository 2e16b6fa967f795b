package playbook

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/inventory"
)

// playbookFile is the wording and error type of playbooks and the vars
// files they name.
var playbookFile = &yamlnode.FileType{
	Plural:          "playbooks",
	OneDocumentHint: "a playbook is one document: a list of plays",
	QuoteHint:       `quote values that start with { (templates: "{{ port }}") or contain ": "`,
	Wrap:            func(e *yamlnode.Error) error { return (*ParseError)(e) },
}

// decoder reads the YAML nodes of a playbook or vars file into typed values,
// collecting every error with its position rather than stopping at the first.
type decoder struct {
	*yamlnode.Decoder
	decrypt func([]byte) ([]byte, error) // Ansible Vault; nil refuses vault values
}

func newDecoder(file string, size int) *decoder {
	return &decoder{Decoder: yamlnode.NewDecoder(file, size, playbookFile)}
}

// boolean reads a YAML boolean (true/false, yes/no are YAML 1.1 and refused
// by yaml.v3 as booleans, so they are accepted here explicitly).
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			return true
		case "false", "no", "off":
			return false
		}
	}
	d.Errorf(n, "write true or false", "%s must be a boolean, not %s", what, yamlnode.Describe(n))
	return false
}

// templatedKeyword reports whether a boolean keyword is written as a
// template, decided per host when the task runs, as Ansible's keywords
// are ("{{ ansible_check_mode }}").
func (d *decoder) templatedKeyword(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.Contains(n.Value, "{{")
}

// integer reads a non-negative integer.
func (d *decoder) integer(n *yaml.Node, what string) int {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == yamlnode.TagInt {
		if v, err := strconv.Atoi(n.Value); err == nil && v >= 0 {
			return v
		}
	}
	d.Errorf(n, "", "%s must be a whole number of at least 0, not %s", what, yamlnode.Describe(n))
	return 0
}

// duration reads a duration: a Go duration ("30s", "2m") or a number of
// seconds, as Ansible writes them.
func (d *decoder) duration(n *yaml.Node, what string) time.Duration {
	if n.Kind == yaml.ScalarNode && !yamlnode.IsNull(n) {
		if secs, err := strconv.ParseFloat(n.Value, 64); err == nil && secs >= 0 && n.ShortTag() != yamlnode.TagStr {
			return time.Duration(secs * float64(time.Second))
		}
		if v, err := time.ParseDuration(n.Value); err == nil && v >= 0 {
			return v
		}
	}
	d.Errorf(n, "a number of seconds (30) or a duration (30s, 2m)", "%s must be a duration, not %s", what, yamlnode.Describe(n))
	return 0
}

// strList reads a list of strings, or one string as a list of one.
func (d *decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && !yamlnode.IsNull(n) {
		return []string{n.Value}
	}
	var out []string
	for _, item := range d.Sequence(n, what) {
		if s := d.Str(item, what+" item"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// value decodes any node into plain Go data: *omap.Map (keys in the order
// written), []any, string, int, float64, bool or nil.
func (d *decoder) value(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := omap.New(len(n.Content) / 2)
		for _, kv := range d.Mapping(n, "a mapping") {
			m.Set(kv[0].Value, d.value(kv[1]))
		}
		return m
	case yaml.SequenceNode:
		items := d.Sequence(n, "a list")
		l := make([]any, 0, len(items))
		for _, item := range items {
			l = append(l, d.value(item))
		}
		return l
	case yaml.ScalarNode:
		if n.Tag == "!vault" {
			plain, err := decryptVault(d.Pos(n), []byte(n.Value), d.decrypt)
			if err != nil {
				d.Errs = append(d.Errs, err)
				return nil
			}
			return string(plain)
		}
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return n.Value // application tags such as Ansible's !unsafe mark strings
		}
		if n.Style == 0 {
			return inventory.YAML11Scalar(n.Value) // plain: as PyYAML reads it (no is false, 1:30 is 90)
		}
		var v any
		if err := n.Decode(&v); err != nil {
			d.Errorf(n, "", "cannot read the value: %v", err)
			return nil
		}
		return v
	}
	return nil
}
