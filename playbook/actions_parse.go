package playbook

import (
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/internal/yamlnode"
)

// actionParser reads an action's arguments; nil means they were invalid
// (the errors are recorded).
type actionParser func(p *parser, n *yaml.Node) Action

// actionKinds are the actions, sorted: the keys that name them in a task.
var actionKinds = []string{"check", "debug"}

// lookupAction returns the parser of the action a task key names.
func lookupAction(key string) (actionParser, bool) {
	switch key {
	case "check":
		return (*parser).checkAction, true
	case "debug":
		return (*parser).debugAction, true
	}
	return nil, false
}

// local resolves a controller-side path as Ansible does: in the role's
// kind directory (files, templates), beside the task's file, in the
// playbook's directory.
func (p *parser) local(kind, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	if p.cur == nil {
		return filepath.Join(p.pb.Dir, path)
	}
	return p.findFile(p.cur, kind, path)
}

// checkAction reads check: {files: [...]} or inline check specs (goss
// format: resource type, id, properties).
func (p *parser) checkAction(n *yaml.Node) Action {
	a := &CheckAction{}
	if n.Kind == yaml.MappingNode && len(n.Content) >= 2 && (n.Content[0].Value == "files" || n.Content[0].Value == "file") {
		params := p.params(n, "check", []string{"files", "file", "retry_timeout", "sleep"})
		var paths []string
		for _, key := range []string{"files", "file"} {
			if v, ok := params[key]; ok {
				for _, f := range p.strList(v, key) {
					paths = append(paths, p.local("files", f))
				}
			}
		}
		suite, err := checks.Load(paths)
		if err != nil {
			p.Errs = append(p.Errs, err)
			return nil
		}
		a.Checks = p.readableChecks(suite.Checks)
		p.checkRetry(a, params)
		return a
	}
	if n.Kind != yaml.MappingNode {
		p.Errorf(n, "check: {http: {https://localhost/health: {status: 200}}} or check: {files: [web.yaml]}",
			"check must be a mapping of check specs, not %s", yamlnode.Describe(n))
		return nil
	}
	suite, err := checks.Parse(p.File, nodeText(p.data, n))
	if err != nil {
		p.Errs = append(p.Errs, err)
		return nil
	}
	a.Checks = p.readableChecks(suite.Checks)
	if len(a.Checks) == 0 {
		p.Errorf(n, "write resource types: port:, http:, service:, ...", "check holds no check")
		return nil
	}
	return a
}

// readableChecks returns checks, with a problem for each property whose
// expectation cannot be read.
func (p *parser) readableChecks(cs []*checks.Check) []*checks.Check {
	for _, c := range cs {
		for _, msg := range c.Problems() {
			p.Errs = append(p.Errs, &invalidCheck{msg: msg})
		}
	}
	return cs
}

func (p *parser) checkRetry(a *CheckAction, params map[string]*yaml.Node) {
	if v, ok := params["retry_timeout"]; ok {
		a.RetryTimeout = p.duration(v, "retry_timeout")
	}
	if v, ok := params["sleep"]; ok {
		a.Sleep = p.duration(v, "sleep")
	}
}

// debugAction reads debug: {msg} or {var}, or debug: MESSAGE.
func (p *parser) debugAction(n *yaml.Node) Action {
	a := &DebugAction{}
	if n.Kind == yaml.ScalarNode {
		a.Msg = p.textNode(n, "debug")
		return a
	}
	params := p.params(n, "debug", []string{"msg", "var"})
	if v, ok := params["msg"]; ok {
		a.Msg = p.textNode(v, "msg")
	}
	if v, ok := params["var"]; ok {
		a.Var = p.compileExpr(p.Str(v, "var"), p.srcPos(v), p.eng)
	}
	if (a.Msg.Raw == "") == (a.Var == nil) {
		p.Errorf(n, `debug: {msg: "version {{ version }}"} or debug: {var: out.stdout}`, "debug needs exactly one of msg: and var:")
		return nil
	}
	return a
}
