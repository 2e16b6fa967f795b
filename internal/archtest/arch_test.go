// Package archtest checks the package boundaries of ARCHITECTURE.md.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/remotectl/remotectl/"

// allowed lists, per package of the module, the project packages it may
// depend on (directly or not). It is closed-world: every package of the
// module must have a row, so a new package states its place in the house.
var allowed = map[string][]string{
	"internal/secret":     {},
	"internal/termtext":   {},
	"internal/yamlnode":   {},
	"internal/omap":       {},
	"internal/gsskrb":     {},
	"nodeset":             {},
	"shard":               {},
	"remote":              {},
	"remote/local":        {"remote", "doctor"},
	"remote/ssh":          {"remote", "doctor"},
	"remote/winrm":        {"remote", "doctor", "internal/gsskrb"},
	"remote/agent":        {"remote", "remote/ssh", "remote/winrm", "internal/gsskrb", "doctor"},
	"remote/remotetest":   {"remote", "internal/gsskrb"},
	"doctor":              {"remote"},
	"ops":                 {"remote", "report", "runrec", "checks", "playbook", "playbook/jinja", "playbook/module", "inventory", "nodeset", "internal/yamlnode", "internal/secret", "internal/termtext", "internal/errkind", "internal/omap"},
	"inventory":           {"nodeset", "remote", "internal/yamlnode", "internal/secret", "internal/termtext", "internal/omap"},
	"checks":              {"remote", "nodeset", "internal/yamlnode"},
	"checks/plan":         {"checks", "inventory", "remote", "nodeset", "internal/yamlnode", "internal/secret", "internal/termtext", "internal/errkind", "internal/omap"},
	"checks/serve":        {"report", "remote", "checks", "nodeset", "internal/yamlnode", "internal/termtext", "internal/errkind"},
	"report":              {"remote", "checks", "nodeset", "internal/yamlnode", "internal/termtext"},
	"runrec":              {"remote", "report", "checks", "nodeset", "internal/yamlnode", "internal/termtext"},
	"playbook":            {"inventory", "remote", "report", "checks", "nodeset", "internal/yamlnode", "internal/secret", "internal/termtext", "playbook/jinja", "playbook/module", "internal/omap"},
	"playbook/jinja":      {"internal/omap"},
	"playbook/module":     {"remote"},
	"cmd/remotectl":       {"inventory", "nodeset", "shard", "remote", "remote/local", "remote/ssh", "remote/winrm", "internal/gsskrb", "remote/agent", "doctor", "ops", "checks", "checks/plan", "report", "runrec", "playbook", "playbook/jinja", "internal/secret", "internal/yamlnode", "internal/proc", "internal/settings", "internal/iostreams", "internal/termtext", "internal/errkind", "checks/serve", "playbook/vault", "playbook/ansiblecfg", "playbook/ansiblecli", "playbook/module", "internal/omap"},
	"playbook/vault":      {},
	"playbook/ansiblecfg": {},
	"playbook/ansiblecli": {"playbook", "playbook/ansiblecfg", "playbook/vault", "inventory", "remote", "internal/errkind", "internal/secret", "internal/termtext", "internal/yamlnode", "nodeset", "checks", "playbook/jinja", "playbook/module", "report", "internal/omap"},

	// The process and the command line's plumbing, below cmd only.
	"internal/proc":      {},
	"internal/settings":  {"internal/errkind", "shard"},
	"internal/errkind":   {},
	"internal/iostreams": {},

	// Tools beside the product: they depend on nothing of it, or on test helpers only.
	"remote/remotetest/cmd/wsmanserver": {"remote", "remote/remotetest", "internal/gsskrb"},
	"bench/delayrelay":                  {},
	"bench/mkreport":                    {},
	"internal/archtest":                 {},
}

// TestEveryPackageListed fails for a package of the module that allowed
// does not list, and for a row naming no package.
func TestEveryPackageListed(t *testing.T) {
	out, err := exec.Command("go", "list", module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	listed := make(map[string]bool, len(allowed))
	for _, path := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(path, module)
		listed[rel] = true
		if _, ok := allowed[rel]; !ok {
			t.Errorf("package %s is not in internal/archtest's allowed table: add a row with the project packages it may import", rel)
		}
	}
	for pkg := range allowed {
		if !listed[pkg] {
			t.Errorf("allowed lists %s, which is not a package of the module: remove its row", pkg)
		}
	}
}

func TestPackageBoundaries(t *testing.T) {
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-deps", module+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, found := strings.CutPrefix(dep, module)
			if !found || rel == pkg || contains(ok, rel) {
				continue
			}
			t.Errorf("%s depends on %s, which ARCHITECTURE.md does not allow", pkg, rel)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
