package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// fuzzMaxHosts keeps fuzzed inventories and ranges small.
const fuzzMaxHosts = 100

// addFileSeeds adds the files matching glob as seeds.
func addFileSeeds(f *testing.F, glob string) {
	files, err := filepath.Glob(glob)
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkInventory verifies invariants every loaded inventory keeps.
func checkInventory(t *testing.T, inv *Inventory) {
	if n := len(inv.Hosts()); n > fuzzMaxHosts {
		t.Fatalf("%d hosts, more than the cap of %d", n, fuzzMaxHosts)
	}
	for _, h := range inv.Hosts() {
		if len(h.Groups) == 0 || !sort.StringsAreSorted(h.Groups) {
			t.Fatalf("host %q has groups %v", h.Name, h.Groups)
		}
		origins := h.VarOrigins()
		if len(h.Vars) != len(origins) {
			t.Fatalf("host %q: %d vars but %d origins", h.Name, len(h.Vars), len(origins))
		}
		for name := range h.Vars {
			if o := h.VarOrigin(name); o == "" || o != origins[name] {
				t.Fatalf("host %q: variable %q has origin %q, and %q in VarOrigins", h.Name, name, o, origins[name])
			}
		}
		if got, ok := inv.Host(h.Name); !ok || got != h {
			t.Fatalf("host %q is not indexed", h.Name)
		}
	}
	if _, err := inv.Select("all", ""); err != nil && len(inv.Hosts()) > 0 {
		t.Fatalf("all: %v", err)
	}
}

// fuzzParse parses data as the file name says: it either loads an
// inventory that passes checkInventory or fails with an *Error.
func fuzzParse(t *testing.T, name string, data []byte) {
	inv, err := Parse(name, data, LoadOptions{Transports: testTransports(), MaxHosts: fuzzMaxHosts})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error is a %T, want *Error: %v", err, err)
		}
		return
	}
	checkInventory(t, inv)
}

func FuzzLoadYAML(f *testing.F) {
	addFileSeeds(f, "testdata/broken/*.y*ml")
	addFileSeeds(f, "testdata/ansible/*.yaml")
	addFileSeeds(f, "../inventory.example.yaml")
	f.Add([]byte(precedenceYAML))
	f.Add([]byte(patternInventory))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, "fuzz.yaml", data) })
}

func FuzzLoadINI(f *testing.F) {
	addFileSeeds(f, "testdata/broken/*.ini")
	addFileSeeds(f, "testdata/ansible/*.ini")
	f.Add([]byte("h x=\"{'a': [1, (2,), {3}]}\" y=b'\\x41' z=1_0.5e3 w=-0x1F\n[g:vars]\nk = '''v'''\n"))
	f.Add([]byte("[a:children]\nb\n[b:children]\nc\n[c]\nh[a:c]:22\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, "fuzz.ini", data) })
}

func FuzzAnsibleRange(f *testing.F) {
	for _, s := range []string{"web", "www[01:50].x", "db-[a:f]", "n[01:10:2]", "r[1:2]-n[01:16]", "x[:3]", "x[Y:b]", "x[1:", "x]["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := expandAnsibleRange(s, fuzzMaxHosts)
		if err != nil {
			return
		}
		if len(names) > fuzzMaxHosts || len(names) == 0 {
			t.Fatalf("%q expands to %d names", s, len(names))
		}
		for _, n := range names {
			if n == s && len(names) != 1 {
				t.Fatalf("%q expands to itself among others", s)
			}
		}
	})
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		"", "all", "*", "web", "web:&prod:!web01.example.com", "!web", "&staging", "web*", "db?.example.com",
		"~(web|db)0?1", "~db[1-3]{1,2}", "web[01-03].example.com", "web[01:03].example.com", "web[0]", "web[-1]",
		"web[1:]", "prod[0:1]:staging[-1]", "@list", "!@list", "web,,db", "localhost", "~(", "x[",
	} {
		f.Add(s, "")
	}
	f.Add("all", "web")
	inv, err := Parse("inv.yaml", []byte(patternInventory), LoadOptions{Transports: testTransports(), MaxHosts: fuzzMaxHosts})
	if err != nil {
		f.Fatal(err)
	}
	inv.readFile = func(string) ([]byte, error) { return []byte("web01.example.com\n!db1.example.com # x\n"), nil }
	f.Fuzz(func(t *testing.T, pattern, limit string) {
		_ = parsePattern(pattern)
		hosts, err := inv.Select(pattern, limit)
		if err != nil {
			return
		}
		if len(hosts) == 0 {
			t.Fatal("Select returned no hosts and no error")
		}
		last := -1
		for _, h := range hosts {
			i := len(inv.Hosts()) // the implicit localhost sorts last
			if !h.Implicit {
				i = int(inv.hostIdx[h.Name])
			}
			if i <= last {
				t.Fatalf("hosts out of definition order or repeated: %v", hostNames(hosts))
			}
			last = i
		}
		ordered, err := inv.SelectAnsible(pattern, limit)
		seen := map[*Host]bool{}
		for _, h := range ordered {
			if seen[h] {
				t.Fatalf("SelectAnsible: host repeated: %v", hostNames(ordered))
			}
			seen[h] = true
		}
		if err == nil && len(ordered) == 0 {
			t.Fatal("SelectAnsible returned no hosts and no error")
		}
	})
}
