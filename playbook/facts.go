package playbook

import (
	"context"
	"strings"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// posixFactsScript prints, one per line: kernel name, kernel release,
// machine, host name, then /etc/os-release's ID, VERSION_ID and ID_LIKE.
const posixFactsScript = `uname -s; uname -r; uname -m; hostname 2>/dev/null || uname -n; ` +
	`(. /etc/os-release 2>/dev/null; echo "${ID:-}"; echo "${VERSION_ID:-}"; echo "${ID_LIKE:-}")`

// windowsFactsScript prints the same lines for Windows.
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

// factsAction gathers facts; it is read-only and runs in check mode.
type factsAction struct{}

func (factsAction) Kind() string    { return "gather_facts" }
func (factsAction) summary() string { return "" }
func (factsAction) readOnly() bool  { return true }

func (factsAction) run(ctx context.Context, r *actionRun) (*Outcome, error) {
	cmd := &remote.Cmd{Shell: posixFactsScript}
	if r.windows() {
		cmd = &remote.Cmd{Shell: powershell(windowsFactsScript)}
	}
	var out, errb cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	res, err := r.tr.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return failed("gathering facts: exit status %d: %s", res.ExitCode, strings.TrimSpace(errb.String())), nil
	}
	r.host.mem.facts = parseFacts(out.String())
	r.host.br.e.setHostvar(r.host.br.plan, r.host.host.Name, "ansible_facts", unsafe(r.host.mem.facts))
	return &Outcome{}, nil
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
