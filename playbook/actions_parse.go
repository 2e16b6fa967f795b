package playbook

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/internal/yamlnode"
)

// actionParser reads an action's arguments; nil means they were invalid
// (the errors are recorded).
type actionParser func(p *parser, n *yaml.Node) Action

// actionKinds are the actions, sorted: the keys that name them in a task.
var actionKinds = []string{"check", "command", "copy", "debug", "fetch", "script", "shell", "template", "wait_for"}

// lookupAction returns the parser of the action a task key names.
func lookupAction(key string) (actionParser, bool) {
	switch key {
	case "shell":
		return func(p *parser, n *yaml.Node) Action { return p.commandAction(n, true) }, true
	case "command":
		return func(p *parser, n *yaml.Node) Action { return p.commandAction(n, false) }, true
	case "script":
		return (*parser).scriptAction, true
	case "copy":
		return func(p *parser, n *yaml.Node) Action { return p.copyAction(n, false) }, true
	case "template":
		return func(p *parser, n *yaml.Node) Action { return p.copyAction(n, true) }, true
	case "fetch":
		return (*parser).fetchAction, true
	case "check":
		return (*parser).checkAction, true
	case "wait_for":
		return (*parser).waitForAction, true
	case "debug":
		return (*parser).debugAction, true
	}
	return nil, false
}

// commandAction reads shell: / command:, a command line or a mapping with
// cmd (or argv for command), creates, removes and chdir.
func (p *parser) commandAction(n *yaml.Node, shell bool) Action {
	a := &CommandAction{Shell: shell}
	kind := a.Kind()
	if n.Kind == yaml.ScalarNode {
		a.Cmd = p.textNode(n, kind)
		return p.finishCommand(a, n)
	}
	keys := []string{"cmd", "creates", "removes", "chdir"}
	if !shell {
		keys = append(keys, "argv")
	}
	params := p.params(n, kind, keys)
	if v, ok := params["cmd"]; ok {
		a.Cmd = p.textNode(v, kind+" cmd")
	}
	if v, ok := params["argv"]; ok {
		for _, item := range p.Sequence(v, "argv") {
			a.Argv = append(a.Argv, p.textNode(item, "argv item"))
		}
	}
	if v, ok := params["creates"]; ok {
		a.Creates = p.textNode(v, "creates")
	}
	if v, ok := params["removes"]; ok {
		a.Removes = p.textNode(v, "removes")
	}
	if v, ok := params["chdir"]; ok {
		a.Chdir = p.textNode(v, "chdir")
	}
	return p.finishCommand(a, n)
}

func (p *parser) finishCommand(a *CommandAction, n *yaml.Node) Action {
	switch {
	case a.Cmd.Raw == "" && len(a.Argv) == 0:
		p.Errorf(n, a.Kind()+": systemctl restart nginx", "%s needs a command", a.Kind())
		return nil
	case a.Cmd.Raw != "" && len(a.Argv) > 0:
		p.Errorf(n, "keep one of them", "command: cmd and argv are exclusive")
		return nil
	}
	return a
}

// scriptAction reads script: PATH [ARGS] or {src, args, creates, removes}.
func (p *parser) scriptAction(n *yaml.Node) Action {
	a := &ScriptAction{}
	if n.Kind == yaml.ScalarNode {
		path, args, _ := strings.Cut(strings.TrimSpace(p.Str(n, "script")), " ")
		a.Src = path
		a.Args = p.text(strings.TrimSpace(args), p.Pos(n), p.srcPos(n), p.eng)
	} else {
		params := p.params(n, "script", []string{"src", "args", "creates", "removes"})
		if v, ok := params["src"]; ok {
			a.Src = p.Str(v, "src")
		}
		if v, ok := params["args"]; ok {
			a.Args = p.textNode(v, "args")
		}
		if v, ok := params["creates"]; ok {
			a.Creates = p.textNode(v, "creates")
		}
		if v, ok := params["removes"]; ok {
			a.Removes = p.textNode(v, "removes")
		}
	}
	if a.Src == "" {
		p.Errorf(n, "script: scripts/setup.sh", "script needs the path of a local script")
		return nil
	}
	data, err := os.ReadFile(p.local("files", a.Src))
	if err != nil {
		p.Errorf(n, "script paths are relative to the playbook's directory", "script %s: %s", a.Src, unwrapPathError(err))
		return nil
	}
	a.content = data
	return a
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

// copyAction reads copy: / template: {src or content, dest, mode, owner}.
// A template's source is read and its template checked now.
func (p *parser) copyAction(n *yaml.Node, isTemplate bool) Action {
	a := &CopyAction{Template: isTemplate}
	kind := a.Kind()
	keys := []string{"src", "dest", "mode", "owner"}
	if !isTemplate {
		keys = append(keys, "content")
	}
	params := p.params(n, kind, keys)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if v, ok := params["dest"]; ok {
		a.Dest = p.textNode(v, "dest")
	} else {
		p.Errorf(n, kind+": {src: app.conf, dest: /etc/app.conf}", "%s needs dest:", kind)
	}
	if v, ok := params["mode"]; ok {
		a.Mode = p.fileMode(v)
	}
	if v, ok := params["owner"]; ok {
		a.Owner = p.textNode(v, "owner")
	}
	src, hasSrc := params["src"]
	content, hasContent := params["content"]
	switch {
	case hasSrc && hasContent:
		p.Errorf(content, "keep one of them", "copy: src and content are exclusive")
	case hasContent:
		a.Content = p.textNode(content, "content")
	case hasSrc:
		p.readSource(a, src)
	default:
		p.Errorf(n, "name a local file with src: (or give content: for copy)", "%s needs src:", kind)
	}
	return a
}

// readSource reads a copy or template source file.
func (p *parser) readSource(a *CopyAction, n *yaml.Node) {
	a.Src = p.Str(n, "src")
	kind := "files"
	if a.Template {
		kind = "templates"
	}
	data, err := os.ReadFile(p.local(kind, a.Src))
	if err != nil {
		p.Errorf(n, "src paths are relative to the playbook's directory", "%s %s: %s", a.Kind(), a.Src, unwrapPathError(err))
		return
	}
	if !a.Template {
		a.Content = Text{Raw: string(data), Pos: p.Pos(n)}
		return
	}
	a.Content = p.text(string(data), a.Src, position{file: a.Src, line: 1, col: 1}, p.eng)
	a.Content.file = true
}

// fileMode reads an octal mode: 0644, "0644" or "644".
func (p *parser) fileMode(n *yaml.Node) *fs.FileMode {
	s := strings.TrimPrefix(p.Str(n, "mode"), "0o")
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 {
		p.Errorf(n, `write it in octal and quote it: mode: "0644"`, "mode %q is not an octal file mode", s)
		return nil
	}
	m := fs.FileMode(v)
	return &m
}

// fetchAction reads fetch: {src, dest, flat}.
func (p *parser) fetchAction(n *yaml.Node) Action {
	a := &FetchAction{}
	params := p.params(n, "fetch", []string{"src", "dest", "flat"})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	v, ok := params["src"]
	if ok {
		a.Src = p.textNode(v, "src")
	}
	d, okDest := params["dest"]
	if okDest {
		a.Dest = p.textNode(d, "dest")
	}
	if !ok || !okDest {
		p.Errorf(n, "fetch: {src: /var/log/app.log, dest: logs/}", "fetch needs src: and dest:")
		return nil
	}
	if v, ok := params["flat"]; ok {
		a.Flat = p.boolean(v, "flat")
	}
	return a
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
		a.Checks = suite.Checks
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
	a.Checks = suite.Checks
	if len(a.Checks) == 0 {
		p.Errorf(n, "write resource types: port:, http:, service:, ...", "check holds no check")
		return nil
	}
	return a
}

func (p *parser) checkRetry(a *CheckAction, params map[string]*yaml.Node) {
	if v, ok := params["retry_timeout"]; ok {
		a.RetryTimeout = p.duration(v, "retry_timeout")
	}
	if v, ok := params["sleep"]; ok {
		a.Sleep = p.duration(v, "sleep")
	}
}

// waitForAction reads wait_for: {port, host, url, timeout, delay, sleep}.
func (p *parser) waitForAction(n *yaml.Node) Action {
	a := &WaitForAction{Timeout: DefaultWaitTimeout, Sleep: time.Second}
	params := p.params(n, "wait_for", []string{"port", "host", "url", "timeout", "delay", "sleep"})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if v, ok := params["port"]; ok {
		a.Port = p.textNode(v, "port")
	}
	if v, ok := params["host"]; ok {
		a.Host = p.textNode(v, "host")
	}
	if v, ok := params["url"]; ok {
		a.URL = p.textNode(v, "url")
	}
	if v, ok := params["timeout"]; ok {
		a.Timeout = p.duration(v, "timeout")
	}
	if v, ok := params["delay"]; ok {
		a.Delay = p.duration(v, "delay")
	}
	if v, ok := params["sleep"]; ok {
		a.Sleep = p.duration(v, "sleep")
	}
	if (a.Port.Raw == "") == (a.URL.Raw == "") {
		p.Errorf(n, "wait_for: {port: 8080} or wait_for: {url: http://localhost:8080/health}", "wait_for needs exactly one of port: and url:")
		return nil
	}
	return a
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
