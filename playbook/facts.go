package playbook

import (
	"context"
	"maps"
	"strings"
	"time"

	"github.com/remotectl/remotectl/playbook/module"
	"github.com/remotectl/remotectl/remote"
)

// windowsFactsScript prints, one per line: the system, its version, the
// architecture, the host name, then the distribution, its version and "".
const windowsFactsScript = `$o = Get-CimInstance Win32_OperatingSystem; 'Windows'; $o.Version; $env:PROCESSOR_ARCHITECTURE; $env:COMPUTERNAME; 'windows'; $o.Version; ''`

// gatherFacts runs one command and keeps the host's facts for the play (and
// the following plays): os_family, distribution, distribution_version,
// hostname, arch (also architecture), kernel, system.
func (h *hostRun) gatherFacts(ctx context.Context) error {
	task := &Task{Name: "Gathering Facts", Pos: h.br.plan.Play.Pos, Action: factsAction{}}
	if h.br.step != nil {
		if !h.br.step.arrive(ctx, h.index) {
			return ctx.Err()
		}
		h.br.taskStarted(-1, task)
	}
	r := h.newResult(task, nil)
	start := time.Now()
	out, err := h.runAction(ctx, &actionRun{host: h, task: task, vars: h.taskVars(nil, nil), check: true, tr: h.tr, target: h.target})
	r.Duration = time.Since(start)
	if err != nil {
		err = h.br.settle(ctx, err)
		h.failWith(r, err)
		h.br.e.emit(Event{Kind: EventResult, Result: r})
		return err
	}
	h.settle(task, r, out)
	h.br.e.emit(Event{Kind: EventResult, Result: r})
	return nil
}

// factsAction gathers facts with the setup module (on Windows, which setup
// does not cover yet, a few facts from one PowerShell command); it is
// read-only and runs in check mode. args are setup's (gather_subset,
// filter...).
type factsAction struct{ args map[string]any }

func (factsAction) Kind() string    { return "gather_facts" }
func (factsAction) summary() string { return "" }
func (factsAction) readOnly() bool  { return true }

func (a factsAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	if r.windows() {
		return windowsFacts(ctx, r)
	}
	setup, _ := module.Lookup("setup")
	args, err := setup.Normalize(a.args)
	if err != nil {
		return failed("%v", err), nil
	}
	become, user := r.become() // as Ansible's: ansible_user_id is the become user's
	host := module.NewHost(r.tr, r.target, module.Become{Enabled: become, User: user}, nil)
	res, err := setup.Run(ctx, &module.Call{Module: setup, Args: args, Host: host, Check: true})
	if err != nil {
		return nil, err
	}
	out := outcomeOf(res)
	if !out.Failed {
		facts, _ := res["ansible_facts"].(map[string]any)
		r.host.addFacts(facts)
	}
	return out, nil
}

// addFacts merges facts a module returned into the host's, as Ansible's
// fact cache: they are the host's ansible_facts from now on, in this play
// and the following ones.
func (h *hostRun) addFacts(facts map[string]any) {
	if len(facts) == 0 {
		return
	}
	mem, name := h.factsHost()
	merged := maps.Clone(mem.facts)
	if merged == nil {
		merged = map[string]any{}
	}
	maps.Copy(merged, facts)
	mem.facts = merged
	h.br.e.setHostvar(h.br.plan, name, "ansible_facts", unsafe(merged))
}

// windowsFacts gathers a Windows host's facts with one PowerShell command.
func windowsFacts(ctx context.Context, r *actionRun) (*Outcome, error) {
	cmd := &remote.Cmd{Shell: powershell(windowsFactsScript)}
	var out, errb cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	res, err := r.tr.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return failed("gathering facts: exit status %d: %s", res.ExitCode, strings.TrimSpace(errb.String())), nil
	}
	facts := map[string]any{}
	for k, v := range parseFacts(out.String()) {
		facts["ansible_"+k] = v
	}
	r.host.addFacts(facts)
	return &Outcome{Result: map[string]any{"changed": false, "ansible_facts": facts}}, nil
}

// factNames are the facts gatherFacts sets, each also a variable
// ansible_NAME.
var factNames = []string{"system", "kernel", "arch", "architecture", "hostname", "distribution", "distribution_version", "os_family"}

// parseFacts reads the lines the facts scripts print. Missing lines leave
// facts empty rather than failing: a minimal host still runs the play.
func parseFacts(out string) map[string]any {
	lines := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	line := func(i int) string {
		if i < len(lines) {
			return strings.TrimSpace(lines[i])
		}
		return ""
	}
	system, kernel, arch, hostname := line(0), line(1), line(2), line(3)
	id, version, idLike := strings.ToLower(line(4)), line(5), strings.ToLower(line(6))
	return map[string]any{
		"system":               system,
		"kernel":               kernel,
		"arch":                 arch,
		"architecture":         arch,
		"hostname":             hostname,
		"distribution":         distributionName(id, system),
		"distribution_version": version,
		"os_family":            osFamily(id, idLike, system),
	}
}

// osFamilies maps os-release IDs to Ansible's os_family names.
var osFamilies = map[string]string{
	"debian": "Debian", "ubuntu": "Debian", "linuxmint": "Debian", "raspbian": "Debian",
	"rhel": "RedHat", "centos": "RedHat", "fedora": "RedHat", "rocky": "RedHat", "almalinux": "RedHat", "amzn": "RedHat", "ol": "RedHat",
	"sles": "Suse", "opensuse": "Suse", "opensuse-leap": "Suse", "opensuse-tumbleweed": "Suse",
	"alpine": "Alpine", "arch": "Archlinux", "windows": "Windows",
}

func osFamily(id, idLike, system string) string {
	if f, ok := osFamilies[id]; ok {
		return f
	}
	for _, like := range strings.Fields(idLike) {
		if f, ok := osFamilies[like]; ok {
			return f
		}
	}
	if id != "" {
		return distributionName(id, system)
	}
	return system
}

// distributionName is Ansible's spelling of a distribution ("Debian",
// "Ubuntu", "RedHat" for rhel).
func distributionName(id, system string) string {
	switch id {
	case "":
		return system
	case "rhel":
		return "RedHat"
	case "opensuse-leap", "opensuse-tumbleweed":
		return "openSUSE"
	}
	return strings.ToUpper(id[:1]) + id[1:]
}
