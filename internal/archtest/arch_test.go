// Package archtest checks the package boundaries of ARCHITECTURE.md.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/remotectl/remotectl/"

// allowed lists, per package, the project packages it may depend on (directly or not).
var allowed = map[string][]string{
	"inventory":         {"nodeset", "internal/yamlnode"},
	"nodeset":           {},
	"remote":            {},
	"remote/local":      {"remote"},
	"checks":            {"remote", "nodeset", "internal/yamlnode"},
	"report":            {"remote", "checks", "nodeset", "internal/yamlnode"},
	"playbook":          {"inventory", "remote", "report", "checks", "nodeset", "internal/yamlnode", "internal/secret"},
	"internal/secret":   {},
	"internal/yamlnode": {},
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
