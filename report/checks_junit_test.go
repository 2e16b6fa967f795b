package report

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestJUnitValidatesAgainstTheJenkinsSchema runs xmllint (Debian's
// libxml2-utils) with the shape of Jenkins's junit-10.xsd over the JUnit
// outputs of checks and plays, and checks that every suite's test case
// names are unique.
func TestJUnitValidatesAgainstTheJenkinsSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint not found: install Debian's libxml2-utils (scripts/test.sh does)")
		}
		t.Skip("xmllint not found (Debian package libxml2-utils)")
	}
	for _, golden := range []string{"checks_junit.golden", "play_junit.golden"} {
		path := filepath.Join("testdata", golden)
		if out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit-jenkins.xsd"), path).CombinedOutput(); err != nil {
			t.Errorf("xmllint %s: %v\n%s", golden, err, out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Suites []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name string `xml:"name,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range doc.Suites {
			seen := make(map[string]bool)
			for _, c := range s.Cases {
				if seen[c.Name] {
					t.Errorf("%s: suite %s has two test cases named %q", golden, s.Name, c.Name)
				}
				seen[c.Name] = true
			}
		}
	}
}

// TestUniqueCaseName: a repeated name gets its position, and a check read
// twice from the same place a counter.
func TestUniqueCaseName(t *testing.T) {
	seen := make(map[string]bool)
	var got []string
	for _, c := range []struct{ name, pos string }{
		{"file /a exists", "a.yaml:2:3"},
		{"file /a exists", "b.yaml:2:3"},
		{"file /a exists", "b.yaml:2:3"},
		{"file /a exists", "b.yaml:2:3"},
		{"file /b exists", "b.yaml:4:3"},
	} {
		got = append(got, uniqueCaseName(seen, c.name, c.pos))
	}
	want := []string{"file /a exists", "file /a exists @ b.yaml:2:3", "file /a exists @ b.yaml:2:3 (2)", "file /a exists @ b.yaml:2:3 (3)", "file /b exists"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("name %d = %q, want %q", i, got[i], want[i])
		}
	}
}
