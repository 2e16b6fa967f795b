package playbook

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/playbook/jinja"
	"github.com/remotectl/remotectl/playbook/module"
	"github.com/remotectl/remotectl/remote"
)

// ModuleAction runs a module of the registry (package playbook/module):
// its raw arguments are templated with the host's variables when the task
// runs, normalised by the module and passed to its Run.
type ModuleAction struct {
	Module *module.Module
	Key    string         // the task key as written: copy, ansible.builtin.copy
	Args   map[string]any // raw arguments; strings may hold templates
	Pos    string
	eng    *jinja.Engine
}

// Kind is the module as the task names it.
func (a *ModuleAction) Kind() string { return a.Key }

func (a *ModuleAction) summary() string {
	keys := make([]string, 0, len(a.Args))
	for k := range a.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, a.Args[k])
	}
	return strings.Join(parts, " ")
}

func (a *ModuleAction) readOnly() bool { return a.Module.Check == module.CheckFull }

// omitValue is the value of the omit variable: an argument templated to it
// is dropped, as Ansible's {{ omit }}.
const omitValue = "__omit_place_holder__remotectl"

// templateArgs renders every template among v's strings with vars,
// dropping mapping entries and list items that render to omit.
func templateArgs(eng *jinja.Engine, v any, vars map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		if !jinja.IsTemplate(x) {
			return x, nil
		}
		return eng.Render(x, vars)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			tv, err := templateArgs(eng, item, vars)
			if err != nil {
				return nil, err
			}
			if tv != omitValue {
				out[k] = tv
			}
		}
		return out, nil
	case *omap.Map:
		out := omap.New(x.Len())
		for k, item := range x.All() {
			tv, err := templateArgs(eng, item, vars)
			if err != nil {
				return nil, err
			}
			if tv != omitValue {
				out.Set(k, tv)
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, item := range x {
			tv, err := templateArgs(eng, item, vars)
			if err != nil {
				return nil, err
			}
			if tv != omitValue {
				out = append(out, tv)
			}
		}
		return out, nil
	}
	return v, nil
}

// strParams turns a list or dict given to a str parameter into its
// Python text, as Ansible's check_type_str converts (with a warning)
// rather than refuse: ping: {data: {moo: cow}} returns "{'moo': 'cow'}".
func strParams(m *module.Module, args map[string]any) map[string]any {
	var out map[string]any
	for k, v := range args {
		switch v.(type) {
		case map[string]any, []any, *omap.Map:
		default:
			continue
		}
		if p, ok := m.Param(k); ok && (p.Type == module.Str || p.Type == module.Path) {
			if out == nil {
				out = maps.Clone(args)
			}
			out[k] = jinja.String(v)
		}
	}
	if out == nil {
		return args
	}
	return out
}

func (a *ModuleAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	if win := r.windows(); win != a.Module.Windows && !anyFamily(a.Module) {
		return failed("%s", osMismatch(a.Module, win)), nil
	}
	raw, err := templateArgs(a.eng, a.Args, r.vars)
	if err != nil {
		return failed("%s: %v", a.Pos, err), nil
	}
	args, err := a.Module.Normalize(moduleArgs(a.Module.Name, strParams(a.Module, raw.(map[string]any))))
	if err != nil {
		return failed("%v", err), nil
	}
	env, err := r.environment()
	if err != nil {
		return failed("%v", err), nil
	}
	host := module.NewHost(r.tr, r.target, r.moduleBecome(), env)
	call := &module.Call{Module: a.Module, Args: args, Host: host, Check: r.check, Diff: r.diff,
		Controller: &controller{r: r}}
	if spec, _ := r.asyncOf(); spec != nil {
		return a.runAsync(ctx, r, call, spec)
	}
	res, err := a.Module.Run(ctx, call)
	if err != nil {
		return nil, err
	}
	if facts, ok := res["ansible_facts"].(map[string]any); ok && !res.IsFailed() {
		r.host.addFacts(facts) // service_facts, package_facts, getent...
	}
	return outcomeOf(res), nil
}

// anyFamily reports whether a module runs on POSIX and Windows hosts
// alike: raw sends its command to the host's shell, whatever it is, as
// Ansible's.
func anyFamily(m *module.Module) bool { return m.Name == "raw" }

// osMismatch says why a module cannot run on the host's family.
func osMismatch(m *module.Module, windows bool) string {
	if windows {
		return fmt.Sprintf("the module %s runs on POSIX hosts, and this host is Windows: use its win_* counterpart", m.FQCN())
	}
	return fmt.Sprintf("the module %s runs on Windows hosts, and this host is not Windows", m.FQCN())
}

// outcomeOf turns a module's result into the task's outcome.
func outcomeOf(res module.Result) *Outcome {
	o := &Outcome{Result: res, Changed: res.Changed(), Failed: res.IsFailed(), Skipped: res["skipped"] == true}
	o.Msg, _ = res["msg"].(string)
	o.Stdout, _ = res["stdout"].(string)
	o.Stderr, _ = res["stderr"].(string)
	if rc, ok := res["rc"].(int); ok {
		o.RC = &rc
	}
	o.Diff = res["diff"]
	return o
}

// environment renders the task's environment (the play's, then the
// block's and the task's over it).
func (r *actionRun) environment() (map[string]string, error) {
	var env map[string]string
	for _, layer := range r.task.Environment {
		v, err := templateArgs(r.task.eng, layer, r.vars)
		if err != nil {
			return nil, fmt.Errorf("%s: environment: %v", r.task.Pos, err)
		}
		m, ok := plainDict(v)
		if !ok {
			return nil, fmt.Errorf("%s: environment must be a mapping, not %s", r.task.Pos, jinja.String(v))
		}
		if env == nil {
			env = map[string]string{}
		}
		for k, val := range m {
			env[k] = jinja.String(val)
		}
	}
	return env, nil
}

// controller is the controller side of a module's run: files of the role
// and the playbook, templates rendered with the task's variables.
type controller struct {
	r *actionRun
}

// FindFile looks for name as Ansible does: in the role's kind directory
// (files, templates) and the role, then beside the task's file, then in
// the playbook's directory.
func (c *controller) FindFile(kind, name string) (string, error) {
	if filepath.IsAbs(name) {
		return name, nil
	}
	if p, ok := c.r.task.fileSearch(c.r.host.br.e.pb.Dir, kind).find(name); ok {
		return p, nil
	}
	return "", fmt.Errorf("Could not find or access '%s'", name)
}

// Template renders a template file's text with the task's variables and
// the template module's own (templateVars), which win as in Ansible.
func (c *controller) Template(text, src, path, dest string) (string, error) {
	vars := make(map[string]any, len(c.r.vars)+8)
	maps.Copy(vars, c.r.vars)
	maps.Copy(vars, templateVars(src, path, dest))
	pbDir := c.r.host.br.e.pb.Dir
	return c.r.task.eng.RenderFile(text, vars, templateSearchPath(append(c.r.task.searchPath(pbDir), pbDir, filepath.Dir(path))))
}

// Vars are the task's variables.
func (c *controller) Vars() map[string]any { return c.r.vars }

// BaseDir is the playbook's directory.
func (c *controller) BaseDir() string { return c.r.host.br.e.pb.Dir }

// notImplemented are well-known Ansible modules of collections remotectl
// does not implement, by short name.
var notImplemented = map[string]string{
	"deb822_repository": "ansible-core 2.15 and later", "seport": "community.general", "selinux": "ansible.posix", "sefcontext": "community.general", "seboolean": "ansible.posix",
	"ufw": "community.general", "firewalld": "ansible.posix", "docker_container": "community.docker",
	"docker_image": "community.docker", "docker_network": "community.docker", "docker_compose": "community.docker",
	"docker_volume": "community.docker", "docker_login": "community.docker",
	"mysql_db": "community.mysql", "mysql_user": "community.mysql", "mysql_replication": "community.mysql",
	"postgresql_db": "community.postgresql", "postgresql_user": "community.postgresql",
	"mongodb_user": "community.mongodb", "npm": "community.general", "gem": "community.general",
	"homebrew": "community.general", "composer": "community.general", "make": "community.general",
	"modprobe": "community.general", "timezone": "community.general", "locale_gen": "community.general",
	"alternatives": "community.general", "ini_file": "community.general", "htpasswd": "community.general",
	"openssl_privatekey": "community.crypto", "openssl_csr": "community.crypto", "openssl_certificate": "community.crypto",
	"x509_certificate": "community.crypto", "acme_certificate": "community.crypto",
	"k8s": "kubernetes.core", "helm": "kubernetes.core", "ec2": "amazon.aws", "ec2_instance": "amazon.aws",
	"s3_bucket": "amazon.aws", "rhn_register": "community.general", "redhat_subscription": "community.general",
	"authorized_key": "ansible.posix", "mount": "ansible.posix", "sysctl": "ansible.posix", "synchronize": "ansible.posix",
	"at": "ansible.posix", "acl": "ansible.posix", "patch": "ansible.posix",
	"zypper": "community.general", "pacman": "community.general", "apk": "community.general", "snap": "community.general",
	"flatpak": "community.general", "nmcli": "community.general", "lvg": "community.general", "lvol": "community.general",
	"filesystem": "community.general", "parted": "community.general", "pam_limits": "community.general",
	"jenkins_plugin": "community.general", "jenkins_job": "community.general", "cloudflare_dns": "community.general",
	"django_manage": "community.general", "win_iis_website": "community.windows", "win_iis_webapppool": "community.windows",
	"win_firewall_rule": "community.windows", "win_chocolatey": "chocolatey.chocolatey", "hue_light": "a playbook's own library/",
	"xml": "community.general", "nginx_status_info": "community.general", "haproxy": "community.general",
	"rabbitmq_user": "community.rabbitmq", "rabbitmq_plugin": "community.rabbitmq", "mongodb_replicaset": "community.mongodb",
	"postgresql_privs": "community.postgresql", "postgresql_ext": "community.postgresql",
	"gluster_volume": "gluster.gluster", "nagios": "community.general", "zfs": "community.general",
	"digital_ocean_droplet": "community.digitalocean", "digital_ocean": "community.digitalocean", "ec2_group": "amazon.aws",
	"ec2_vpc_net": "amazon.aws", "ec2_elb": "amazon.aws", "netscaler": "community.network", "rhsm_repository": "community.general", "elasticsearch_plugin": "community.general", "solr": "a playbook's own library/",
}

// builtinModules are ansible-core 2.14's modules (ansible.builtin), to
// tell one remotectl does not implement (yet) from a typo.
var builtinModules = []string{"add_host", "apt", "apt_key", "apt_repository", "assemble", "async_status", "blockinfile",
	"command", "copy", "cron", "debconf", "dnf", "dpkg_selections", "expect", "fetch", "file", "find", "get_url",
	"getent", "git", "group", "group_by", "hostname", "iptables", "known_hosts", "lineinfile", "package", "package_facts",
	"pip", "raw", "reboot", "replace", "rpm_key", "script", "service", "service_facts", "set_stats", "shell", "slurp",
	"stat", "subversion", "systemd", "systemd_service", "sysvinit", "tempfile", "template", "unarchive", "uri", "user",
	"validate_argument_spec", "wait_for", "wait_for_connection", "yum", "yum_repository"}

// unknownModule reports a task key that is no keyword and no module.
func (p *parser) unknownModule(k *yaml.Node) {
	name := k.Value
	short := name[strings.LastIndexByte(name, '.')+1:]
	if slices.Contains(builtinModules, short) && shortAction(name) == short {
		p.Errorf(k, "run this task with ansible-playbook, or write it with a module remotectl implements (command, shell, ...)",
			"the module ansible.builtin.%s is not implemented by remotectl", short)
		return
	}
	coll, ok := notImplemented[short]
	if !ok && name == short {
		coll, ok = routedCollection(short)
	}
	if !ok && strings.HasPrefix(short, "win_") {
		coll, ok = "ansible.windows (or community.windows)", true
	}
	if ok {
		p.Errorf(k, "remotectl implements ansible.builtin's modules (and a few of ansible.posix and ansible.windows); run this task with ansible-playbook",
			"the module %s is in %s, which remotectl does not implement", name, coll)
		return
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		coll := name[:i]
		if coll != "ansible.builtin" && coll != "ansible.legacy" {
			p.Errorf(k, "remotectl implements ansible.builtin's modules (and a few of ansible.posix and ansible.windows)",
				"the module %s is in %s, which remotectl does not implement", name, coll)
			return
		}
	}
	p.Errorf(k, yamlnode.DidYouMean(short, append(allTaskKeywords(), moduleNames()...)),
		"no module %s (and no task keyword): remotectl cannot run this task", name)
}

// moduleNames are the names every task action may have.
func moduleNames() []string {
	names := append([]string{}, actionKinds...)
	names = append(names, executorActions...)
	for _, m := range module.All() {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// shortAction is a builtin action's name without ansible.builtin. or
// ansible.legacy.
func shortAction(key string) string {
	if key == windowsSetup {
		return "setup" // the executor's setup gathers Windows facts too
	}
	for _, prefix := range []string{"ansible.builtin.", "ansible.legacy."} {
		if s, ok := strings.CutPrefix(key, prefix); ok {
			return s
		}
	}
	return key
}

// moduleAction reads a module's arguments: a mapping, or a free-form k=v
// string (the words that are no k=v fill the module's FreeForm
// parameter), with the task's args: under them. Literal argument names
// are checked against the module's parameters.
func (p *parser) moduleAction(m *module.Module, k, n, argsNode *yaml.Node) Action {
	a := &ModuleAction{Module: m, Key: k.Value, Args: map[string]any{}, Pos: p.Pos(k), eng: p.eng}
	if argsNode != nil {
		if argsNode.Kind != yaml.MappingNode {
			p.Errorf(argsNode, "args: {chdir: /tmp}", "args must be a mapping, not %s", yamlnode.Describe(argsNode))
		} else {
			maps.Copy(a.Args, p.valueMap(argsNode))
			p.checkTemplates(argsNode)
		}
	}
	switch {
	case n.Kind == yaml.ScalarNode && !yamlnode.IsNull(n):
		opts, raw := parseKV(n.Value, m.FreeForm != "")
		maps.Copy(a.Args, opts)
		if raw != "" {
			if m.FreeForm == "" {
				p.Errorf(n, "write its arguments as k=v pairs or a mapping", "the module %s takes no free-form text: %q", m.Name, raw)
				return nil
			}
			a.Args[m.FreeForm] = raw
		}
		p.checkTemplates(n)
	case n.Kind == yaml.MappingNode:
		for _, kv := range p.Mapping(n, m.Name) {
			a.Args[kv[0].Value] = p.value(kv[1])
		}
		p.checkTemplates(n)
		if unknown := m.UnknownArgs(mapKeys(n)); len(unknown) > 0 {
			for _, kv := range p.Mapping(n, m.Name) {
				if contains(unknown, kv[0].Value) {
					p.Errorf(kv[0], "supported: "+strings.Join(m.ParamNames(), ", "), "unsupported parameter %q for the module %s", kv[0].Value, m.Name)
				}
			}
			return nil
		}
	case yamlnode.IsNull(n):
	default:
		p.Errorf(n, "write the arguments as a mapping or k=v pairs", "the module %s takes a mapping of arguments, not %s", m.Name, yamlnode.Describe(n))
		return nil
	}
	if m.Name == "template" {
		p.checkTemplateFile(n, a.Args["src"])
	}
	names := make([]string, 0, len(a.Args))
	for name := range a.Args {
		names = append(names, name)
	}
	if unknown := m.UnknownArgs(names); len(unknown) > 0 {
		p.Errorf(n, "supported: "+strings.Join(m.ParamNames(), ", "), "unsupported parameters for the module %s: %s", m.Name, strings.Join(unknown, ", "))
		return nil
	}
	return a
}

func mapKeys(n *yaml.Node) []string {
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

// windowsOnly reports whether a transport kind is WinRM.
func windowsKind(kind string) bool { return kind == remote.KindWinRM }

// checkTemplateFile checks the template file a template task names, when
// its name holds no template: it must exist (in the role's templates/,
// beside the task's file, in the playbook's directory) and be valid
// Jinja2, before any connection.
func (p *parser) checkTemplateFile(n *yaml.Node, src any) {
	name, ok := src.(string)
	if !ok || name == "" || jinja.IsTemplate(name) {
		return
	}
	path := p.local("templates", name)
	data, err := os.ReadFile(path)
	if err != nil {
		p.Errorf(n, "template sources are found in the role's templates/, beside the task's file, or in the playbook's directory",
			"template %s: %s", name, unwrapPathError(err))
		return
	}
	if err := p.eng.Check(string(data)); err != nil {
		p.Errs = append(p.Errs, templateError(position{file: name, line: 1, col: 1}, "bad template: ", err))
	}
}
