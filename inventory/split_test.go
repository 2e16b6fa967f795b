package inventory

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Split configurations of the tests: never split, and split every block
// into parts of one entry each, parsed on two goroutines.
var (
	noSplit   = splitConfig{minBlock: math.MaxInt}
	tinySplit = splitConfig{minBlock: 0, partSize: 1, workers: 2}
)

// hostSnapshot is what a host shows, VarOrigins included.
type hostSnapshot struct {
	Host    Host
	Origins map[string]string
}

// invSnapshot is what an inventory shows, for comparing two loads.
type invSnapshot struct {
	Hosts   []hostSnapshot
	Groups  []Group
	Sources []Source
	Local   *hostSnapshot
}

// snapshot returns what inv shows, without the internals of hosts.
func snapshot(inv *Inventory) invSnapshot {
	shot := func(h *Host) hostSnapshot {
		c := *h
		c.varSources = varSources{}
		return hostSnapshot{Host: c, Origins: h.VarOrigins()}
	}
	var s invSnapshot
	for _, h := range inv.Hosts() {
		s.Hosts = append(s.Hosts, shot(h))
	}
	for _, g := range inv.Groups() {
		s.Groups = append(s.Groups, *g)
	}
	s.Sources = inv.Sources()
	if h, ok := inv.Host(implicitLocalhost); ok && h.Implicit {
		local := shot(h)
		s.Local = &local
	}
	return s
}

// compareSplit loads data whole and split into one-entry parts and fails
// unless both give the same inventory, or the same error. It reports
// whether the split load did split.
func compareSplit(t *testing.T, name string, data []byte) bool {
	t.Helper()
	opts := LoadOptions{Transports: testTransports(), MaxHosts: 10_000}
	whole, errWhole := parseWith(name, data, opts, noSplit)
	split, errSplit := parseWith(name, data, opts, tinySplit)
	switch {
	case errWhole != nil || errSplit != nil:
		if errWhole == nil || errSplit == nil || errWhole.Error() != errSplit.Error() {
			t.Errorf("%s: whole: %v\nsplit: %v", name, errWhole, errSplit)
		}
	case !reflect.DeepEqual(snapshot(whole), snapshot(split)):
		t.Errorf("%s: the split load differs:\nwhole: %+v\nsplit: %+v", name, snapshot(whole), snapshot(split))
	}
	return splitHosts(name, data, tinySplit) != nil
}

// splitCases are inventories whose hosts: block splits, with their
// particularities.
var splitCases = map[string]string{
	"flow entries": "defaults: { user: deploy }\nhosts:\n  a: { address: 10.0.0.1, vars: { slot: 1 } }\n  b: { port: 2222 }\n  c:\ngroups:\n  g: { hosts: [a, c] }\n",
	"block entries, comments and blank lines": `# head
hosts:
  # the first
  web[01-03]:
    address: x.example.com
    vars:
      motd: |
        hello
          world
# a comment at column 0 inside the block

  'quoted key':
    user: "someone: here"
  db1: { vars: { list: [1, 2, {k: v}], nested: {a: [x]} } }   # trailing comment
groups:
  web:
    hosts: ["web[01-03]"]
    vars: { role: web }
`,
	"CRLF lines and no final newline": "hosts:\r\n  a: { vars: { x: 1 } }\r\n  b: { vars: { x: 2 } }\r\ngroups:\r\n  g: { hosts: [a] }",
	"block at the end of the file":    "groups:\n  g: { hosts: [b] }\nhosts: # trailing comment\n  a: { address: 1.2.3.4 }\n  b:\n    vars: { v: true }\n",
	"deeper indentation":              "hosts:\n    a:\n        port: 22\n    b: { port: 23 }\n",
	"an alias to an anchor outside":   "defaults:\n  vars: { common: &c { a: 1 } }\nhosts:\n  h1: { vars: { x: 1 } }\n  h2: { vars: { c: *c } }\n  h3: { vars: { x: 3 } }\n",
	"a flow value cut at an entry":    "hosts:\n  h1: { vars: { x: 1 } }\n  h2: { vars: { x: 2,\n  y: 3 } }\n  h3:\n",
	"a merge key in the block":        "hosts:\n  h1: { vars: { x: 1 } }\n  <<: { h2: { port: 22 } }\n  h3:\n",
	"duplicate across parts":          "hosts:\n  h1: { port: 22 }\n  h2:\n  h1: { port: 22 }\n",
	"duplicate inside a range part":   "hosts:\n  h[1-3]: { port: 22 }\n  h2: { port: 23 }\n",
	"syntax error in a late part":     "hosts:\n  h1: { port: 22 }\n  h2: { port: 22\n  h3: x: y\n",
	"bad value in a part":             "hosts:\n  h1: { port: 22 }\n  h2: { port: 70000 }\n",
	"unknown key in a part":           "hosts:\n  h1: { port: 22 }\n  h2: { prot: 22 }\n",
	"hosts defined in groups too":     "hosts:\n  h1: { port: 22 }\n  h2:\ngroups:\n  g: { hosts: [h2, h3] }\n",
	"a host limit":                    "hosts:\n  h1:\n  h[2-3]:\n  h4:\n  h5:\n",
}

// noSplitCases are documents whose hosts: block must not split.
var noSplitCases = map[string]string{
	"an anchor in the block":     "hosts:\n  h1: &h { port: 22 }\n  h2: *h\n",
	"an ampersand in a value":    "hosts:\n  h1: { vars: { team: \"R&D\" } }\n",
	"a tab":                      "hosts:\n  h1: { vars: { x: \"a\tb\" } }\n",
	"a list of hosts":            "hosts:\n  - h1\n  - h2\n",
	"a list at column 0":         "hosts:\n- h1\n- h2\n",
	"hosts twice":                "hosts:\n  h1:\nhosts:\n  h2:\n",
	"an irregular indentation":   "hosts:\n    h1:\n  h2:\n",
	"a flow mapping":             "hosts: { h1: , h2: }\n",
	"hosts: inside a string":     "defaults:\n  vars: { motd: \"one\nhosts:\n  two\" }\n",
	"hosts: inside a literal":    "defaults:\n  vars:\n    motd: |\n      hosts:\n        a:\n",
	"an Ansible group of hosts":  "all:\n  hosts:\n    h1:\n",
	"an INI file":                "[web]\nh1\n",
	"a quoted hosts key":         "\"hosts\":\n  h1:\n",
	"hosts with a value on line": "hosts: ~\ngroups:\n  g:\n",
	"a flow mapping at the top":  "{a: 1,\nhosts:\n  h1: x\n}\n",
	"a carriage return alone":    "hosts:\n  h1: { vars: { a: 1 } }\r  h2:\ngroups:\n  g: { hosts: [h1] }\n",
	"a next-line character":      "hosts:\n  h1: { vars: { a: 1 } }\u0085  h2:\ngroups:\n  g: { hosts: [h1] }\n",
	"a literal block at the top": "--- |\nhosts:\n  h1:\n",
	"a directive":                "%TAG !e! tag:example.com,2000:\n---\nhosts:\n  h1: !e!x { port: 22 }\n",
	"an empty block":             "hosts:\n  # nothing yet\ngroups:\n  g:\n",
	"a second document after":    "hosts:\n  h1:\n---\nhosts:\n  h2:\n",
}

func TestSplitLoadsAsWhole(t *testing.T) {
	for name, text := range splitCases {
		t.Run(name, func(t *testing.T) {
			if !compareSplit(t, "inv.yaml", []byte(text)) {
				t.Error("the block was not split")
			}
		})
	}
	for name, text := range noSplitCases {
		t.Run(name, func(t *testing.T) {
			file := "inv.yaml"
			if strings.HasPrefix(text, "[") {
				file = "hosts"
			}
			if compareSplit(t, file, []byte(text)) {
				t.Error("the block was split")
			}
		})
	}
}

func TestSplitLoadsFilesAsWhole(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.y*ml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../inventory.example.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		compareSplit(t, file, data)
	}
	compareSplit(t, "big.yaml", generateInventory(3000))
}

func TestSplitErrorsAsWhole(t *testing.T) {
	for name, want := range map[string]string{
		"duplicate across parts":      `inv.yaml:4:3: duplicate key "h1" in hosts (first at line 2); hint: merge the two entries into one`,
		"syntax error in a late part": "inv.yaml:3: invalid YAML: did not find expected ',' or '}' (in the block that starts on this line)",
		"bad value in a part":         `inv.yaml:3:15: port of host "h2" must be between 1 and 65535, got 70000`,
		"a host limit":                "inv.yaml:4:3: the inventory holds more than 3 hosts",
	} {
		data := []byte(splitCases[name])
		opts := LoadOptions{Transports: testTransports(), MaxHosts: 3}
		for _, cfg := range []splitConfig{noSplit, tinySplit} {
			_, err := parseWith("inv.yaml", data, opts, cfg)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s (split %v): got %v, want %s", name, cfg == tinySplit, err, want)
			}
		}
	}
}

func TestSplitParts(t *testing.T) {
	data := []byte("a: 1\nhosts:\n  h1: { port: 22 }\n  # a comment\n  h2:\n    port: 23\n  h3:\ngroups:\n")
	s := splitHosts("inv.yaml", data, splitConfig{partSize: 10})
	if s == nil {
		t.Fatal("not split")
	}
	var parts []string
	for _, p := range s.parts {
		parts = append(parts, string(data[p.start:p.end]))
	}
	equal(t, "parts", parts, []string{"  h1: { port: 22 }\n  # a comment\n", "  h2:\n    port: 23\n", "  h3:\n"})
	equal(t, "first lines", []int{s.parts[0].line, s.parts[1].line, s.parts[2].line}, []int{3, 5, 7})
	equal(t, "entries", s.entries, 3)
	equal(t, "workers (at most one per part)", s.workers <= 3, true)

	if splitHosts("inv.yaml", data, splitConfig{minBlock: len(data)}) != nil {
		t.Error("a block smaller than minBlock was split")
	}

	// The benchmarks' inventory, at a tenth of the size, splits as Parse
	// splits it.
	big := splitHosts("big.yaml", generateInventory(10_000), defaultSplit)
	if big == nil {
		t.Fatal("the 10,000-host inventory does not split")
	}
	if len(big.parts) < 5 || big.entries != 10_000 {
		t.Errorf("the 10,000-host inventory splits into %d parts of %d entries in all", len(big.parts), big.entries)
	}
}

func TestSplitParserStopsEarly(t *testing.T) {
	// The loader stops at the first part here (a bad port); the goroutines
	// parsing the others must stop too (goleak checks it in TestMain).
	var b strings.Builder
	b.WriteString("hosts:\n  h0: { port: 0 }\n")
	for i := 1; i < 200; i++ {
		b.WriteString("  h" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ":\n")
	}
	_, err := parseWith("inv.yaml", []byte(b.String()), LoadOptions{Transports: testTransports()}, tinySplit)
	if err == nil || !strings.Contains(err.Error(), "port of host \"h0\"") {
		t.Fatalf("got %v, want the bad port of h0", err)
	}
}

func FuzzSplit(f *testing.F) {
	for _, text := range splitCases {
		f.Add([]byte(text))
	}
	for _, text := range noSplitCases {
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := LoadOptions{Transports: testTransports(), MaxHosts: fuzzMaxHosts}
		whole, errWhole := parseWith("fuzz.yaml", data, opts, noSplit)
		split, errSplit := parseWith("fuzz.yaml", data, opts, tinySplit)
		if (errWhole == nil) != (errSplit == nil) {
			t.Fatalf("whole: %v\nsplit: %v", errWhole, errSplit)
		}
		// With several problems, the two may report different ones first.
		if errWhole == nil && !reflect.DeepEqual(snapshot(whole), snapshot(split)) {
			t.Fatalf("the split load differs:\nwhole: %+v\nsplit: %+v", snapshot(whole), snapshot(split))
		}
	})
}
