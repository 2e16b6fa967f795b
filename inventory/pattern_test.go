package inventory

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

const patternInventory = `
hosts:
  web[01-04].example.com:
  db[1-3].example.com:
  lb.example.com:
groups:
  web:
    hosts:
      - web[01-04].example.com
  db:
    hosts:
      - db[1-3].example.com
  prod:
    hosts:
      - web[01-02].example.com
      - db[1-2].example.com
      - lb.example.com
  staging:
    hosts:
      - web[03-04].example.com
      - db3.example.com
  frontend:
    children: [web]
    hosts: [lb.example.com]
  empty:
`

func patternInv(t *testing.T) *Inventory {
	t.Helper()
	return parse(t, "inv.yaml", patternInventory)
}

// short turns "web01.example.com" into "web01" for compact expectations.
func short(hosts []*Host) []string {
	out := hostNames(hosts)
	for i, n := range out {
		out[i] = strings.TrimSuffix(n, ".example.com")
	}
	return out
}

func TestSelect(t *testing.T) {
	inv := patternInv(t)
	// "all" in Ansible's order: the groups under "all" in order (db, prod,
	// staging, frontend: web is below frontend), each group's own hosts
	// before its children's.
	all := []string{"db1", "db2", "db3", "web01", "web02", "lb", "web03", "web04"}
	tests := []struct {
		pattern, limit string
		want           []string
	}{
		{"", "", all},
		{"all", "", all},
		{"*", "", all},
		{"web", "", []string{"web01", "web02", "web03", "web04"}},
		{"db,web", "", []string{"db1", "db2", "db3", "web01", "web02", "web03", "web04"}}, // pattern order, as Ansible
		{"db:web", "", []string{"db1", "db2", "db3", "web01", "web02", "web03", "web04"}},
		{" db , lb.example.com ", "", []string{"db1", "db2", "db3", "lb"}},
		{"web:&prod", "", []string{"web01", "web02"}},
		{"web:!prod", "", []string{"web03", "web04"}},
		{"!prod:web", "", []string{"web03", "web04"}}, // exclusions apply last, wherever written
		{"!web", "", []string{"db1", "db2", "db3", "lb"}},
		{"&staging", "", []string{"db3", "web03", "web04"}}, // "all" in Ansible's order
		{"prod:staging:&db:!db2.example.com", "", []string{"db1", "db3"}},
		{"frontend", "", []string{"lb", "web01", "web02", "web03", "web04"}}, // own hosts, then children's
		{"web0*", "", []string{"web01", "web02", "web03", "web04"}},
		{"db?.example.com", "", []string{"db1", "db2", "db3"}},
		{"front*", "", []string{"lb", "web01", "web02", "web03", "web04"}}, // globs match groups too
		{"db[13].example.com", "", []string{"db1", "db3"}},                 // glob classes, as fnmatch
		{"db[!1].example.com", "", []string{"db2", "db3"}},
		{"frontend[0]", "", []string{"lb"}}, // subscripts count in the group's order
		{"frontend[1:2]", "", []string{"web01", "web02"}},
		{"frontend[1-2]", "", []string{"web01", "web02"}}, // Ansible's old subscript form
		{"*.example.com:!web*", "", []string{"db1", "db2", "db3", "lb"}},
		{"~web0[1-2]", "", []string{"web01", "web02"}},
		{"~(web|db)0?1", "", []string{"web01", "db1"}},
		{"~db[1-3]{1,2}\\.example", "", []string{"db1", "db2", "db3"}}, // comma inside a regex
		{"~stag", "", []string{"web03", "web04", "db3"}},               // anchored at the start only
		{"web[01-02].example.com", "", []string{"web01", "web02"}},
		{"web[01:02].example.com", "", []string{"web01", "web02"}}, // Ansible range syntax
		{"db[1,3]*", "", []string{"db1", "db3"}},
		{"db[1-4]*", "", []string{"db1", "db2", "db3"}}, // a glob class, as Ansible
		{"web[0]", "", []string{"web01"}},
		{"web[-1]", "", []string{"web04"}},
		{"web[1:2]", "", []string{"web02", "web03"}},
		{"web[2:]", "", []string{"web03", "web04"}},
		{"prod[0:1]:staging[-1]", "", []string{"web01", "web02", "db3"}},
		{"web*[0]", "", []string{"web01"}},
		{"web", "prod", []string{"web01", "web02"}},
		{"all", "!web", []string{"db1", "db2", "db3", "lb"}},
		{"web", "db,web04.example.com", []string{"web04"}},
		{"prod", "staging:lb.example.com", []string{"lb"}},
		{"web", " ", []string{"web01", "web02", "web03", "web04"}},
	}
	// Node ranges are remotectl's: Ansible reads these as globs matching nothing.
	remotectlOnly := map[string]bool{"web[01-02].example.com": true, "web[01:02].example.com": true}
	for _, tc := range tests {
		got, err := inv.SelectAnsible(tc.pattern, tc.limit)
		if remotectlOnly[tc.pattern] {
			if !errors.Is(err, ErrNoMatch) {
				t.Errorf("SelectAnsible(%q): %v, want no match", tc.pattern, err)
			}
			got, err = inv.Select(tc.pattern, tc.limit)
		}
		if err != nil {
			t.Errorf("SelectAnsible(%q, %q): %v", tc.pattern, tc.limit, err)
			continue
		}
		equal(t, "SelectAnsible("+tc.pattern+", "+tc.limit+")", short(got), tc.want)
		got, err = inv.Select(tc.pattern, tc.limit)
		if err != nil {
			t.Errorf("Select(%q, %q): %v", tc.pattern, tc.limit, err)
			continue
		}
		equal(t, "Select("+tc.pattern+", "+tc.limit+") in definition order", short(got), inDefinitionOrder(tc.want))
	}
}

// inDefinitionOrder sorts short names of patternInventory as defined.
func inDefinitionOrder(names []string) []string {
	order := []string{"web01", "web02", "web03", "web04", "db1", "db2", "db3", "lb"}
	var out []string
	for _, n := range order {
		if slices.Contains(names, n) {
			out = append(out, n)
		}
	}
	return out
}

func TestSelectErrors(t *testing.T) {
	inv := patternInv(t)
	tests := []struct {
		pattern, limit string
		kind           error
		want           string
	}{
		{"webb", "", ErrUnknownName, `"webb" is not a host or group of the inventory; did you mean "web"?`},
		{"web1.example.com", "", ErrUnknownName,
			`"web1.example.com" is not a host or group of the inventory; did you mean "web01.example.com", "db1.example.com", "web02.example.com"?`}, // by distance, then name
		{"web:!prdo", "", ErrUnknownName, `"prdo" is not a host or group of the inventory; did you mean "prod"?`},
		{"xyzzy", "", ErrUnknownName, `"xyzzy" is not a host or group of the inventory`},
		// With a comma, ':' separates nothing (as Ansible, which ignores the term with a warning).
		{"db:web,lb.example.com", "", ErrUnknownName, `"db:web" is not a host or group of the inventory`},
		// An inventory has only its hosts: no implicit localhost.
		{"localhost", "", ErrUnknownName, `"localhost" is not a host or group of the inventory`},
		{"lb.example.com:localhost", "", ErrUnknownName, `"localhost" is not a host or group of the inventory`},
		// A range must match in full: the names it misses, folded.
		{"web[01-09].example.com", "", ErrUnknownName, "pattern web[01-09].example.com: web[05-09].example.com are not hosts or groups of the inventory"},
		{"web[03-05].example.com", "", ErrUnknownName, "pattern web[03-05].example.com: web05.example.com is not a host or group of the inventory"},
		{"web[01:06].example.com", "", ErrUnknownName, "pattern web[01:06].example.com: web[05-06].example.com are not hosts or groups of the inventory"},
		{"web", "stagin", ErrUnknownName, `limit: "stagin" is not a host or group of the inventory; did you mean "staging"?`},
		{"xyz*", "", ErrNoMatch, "pattern xyz* matches no host or group"},
		{"~xyz", "", ErrNoMatch, "pattern ~xyz matches no host or group"},
		{"nothing[1-3]", "", ErrNoMatch, "pattern nothing[1-3] matches no host"},
		{"web:&staging:!web03.example.com:!web04.example.com", "", ErrNoMatch,
			`pattern "web:&staging:!web03.example.com:!web04.example.com" matches no host`},
		{"web", "db", ErrNoMatch, `pattern "web" with limit "db" matches no host`},
		{"empty", "", ErrNoMatch, `pattern "empty" matches no host`},
		{"web[7]", "", ErrNoMatch, "pattern web[7]: index 7 is out of range: web has 4 hosts"},
		{"web[5:9]", "", ErrNoMatch, "pattern web[5:9]: subscript selects no host: web has 4 hosts"},
		{"~web(", "", nil, "pattern ~web(: bad regular expression: error parsing regexp: missing closing ): `^(?:web()`"},
		{"!@list", "", nil, `pattern term "@list": a @file cannot be negated or intersected; put ! or & on the lines of the file`},
	}
	for _, tc := range tests {
		_, err := inv.Select(tc.pattern, tc.limit)
		if err == nil {
			t.Errorf("Select(%q, %q) succeeded, want %q", tc.pattern, tc.limit, tc.want)
			continue
		}
		equal(t, "message of "+tc.pattern, err.Error(), tc.want)
		if tc.kind != nil && !errors.Is(err, tc.kind) {
			t.Errorf("Select(%q): %v is not %v", tc.pattern, err, tc.kind)
		}
	}
}

// TestSelectAnsibleLeavesOutNodeRanges: where Ansible reads a pattern as a
// subscript of a name matching nothing, SelectAnsible matches nothing
// while Select reads a node range.
func TestSelectAnsibleLeavesOutNodeRanges(t *testing.T) {
	inv := parse(t, "hosts", "[web]\nweb01.example.com\nweb01\nweb02\n")
	got, err := inv.Select("web0[1-2]", "")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Select", hostNames(got), []string{"web01", "web02"})
	_, err = inv.SelectAnsible("web0[1-2]", "")
	want := "pattern web0[1-2] matches no host: Ansible reads it as a subscript of web0, which matches nothing"
	if err == nil || err.Error() != want || !errors.Is(err, ErrNoMatch) {
		t.Errorf("SelectAnsible: %v, want %q", err, want)
	}
	got, err = inv.SelectAnsible("web0[1-2].example.com", "") // a glob class, for both
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "glob class", hostNames(got), []string{"web01.example.com"})

	none, err := Load(nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := none.SelectAnsible("all", ""); err == nil {
		t.Errorf("no inventory: all selects %v; Ansible's implicit localhost is not in all", hostNames(got))
	}
	if got, err := none.SelectAnsible("localhost", ""); err != nil || !got[0].Implicit {
		t.Errorf("no inventory: localhost: %v, %v", hostNames(got), err)
	}
}

func TestSelectFromFile(t *testing.T) {
	inv := patternInv(t)
	dir := t.TempDir()
	list := writeFile(t, dir, "retry", "# hosts that failed last time\nweb01.example.com\n\ndb1.example.com  # the primary\n!web01.example.com\n", 0o644)
	got, err := inv.Select("@"+list, "")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "@file", short(got), []string{"db1"})
	got, err = inv.Select("all", "@"+list)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "@file as a limit", short(got), []string{"db1"})
	_, err = inv.Select("@"+dir+"/missing", "")
	if !errors.Is(err, os.ErrNotExist) || err.Error() != "pattern file "+dir+"/missing: no such file or directory" {
		t.Errorf("missing file: got %v", err)
	}
	nested := writeFile(t, dir, "nested", "@"+list+"\n", 0o644)
	if _, err := inv.Select("@"+nested, ""); err == nil || !strings.Contains(err.Error(), "cannot include another") {
		t.Errorf("nested @file: got %v", err)
	}
}

func TestSelectHostAndGroupWithTheSameName(t *testing.T) {
	inv := parse(t, "hosts", "[db]\ndb\ndb2\n")
	got, err := inv.Select("db", "")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "the host alone, as Ansible", hostNames(got), []string{"db"})
	got, err = inv.Select("!db", "")
	if err == nil {
		t.Errorf("!db: %v, want no host (the group is excluded)", hostNames(got))
	}
}

func TestSelectSharesHosts(t *testing.T) {
	inv := patternInv(t)
	a, _ := inv.Select("web01.example.com", "")
	b, _ := inv.Host("web01.example.com")
	if a[0] != b {
		t.Error("Select and Host must return the same *Host")
	}
}

func TestParsePattern(t *testing.T) {
	tests := []struct {
		in   string
		want []term
	}{
		{"a,b:c", []term{{opUnion, "a"}, {opUnion, "b:c"}}}, // with a comma, ':' does not separate
		{"a:b:c", []term{{opUnion, "a"}, {opUnion, "b"}, {opUnion, "c"}}},
		{"2001:db8::10", []term{{opUnion, "2001:db8::10"}}}, // one address
		{"web[01:03]", []term{{opUnion, "web[01:03]"}}},
		{"host:22", []term{{opUnion, "host:22"}}},
		{"fe80::1%eth0:x", []term{{opUnion, "fe80::1%eth0:x"}}}, // Ansible's IPv6 expression matches a prefix
		{"a:&b:!c", []term{{opUnion, "a"}, {opIntersect, "b"}, {opExclude, "c"}}},
		{"[2001:db8::1]:22:x", []term{{opUnion, "[2001:db8::1]"}, {opUnion, "22"}, {opUnion, "x"}}},
		{" ! a , & b ", []term{{opExclude, "a"}, {opIntersect, "b"}}},
		{"web[01:03]:db", []term{{opUnion, "web[01:03]"}, {opUnion, "db"}}},
		{"~(a|b):c", []term{{opUnion, "~(a|b)"}, {opUnion, "c"}}},
		{"!~x{1,2},y", []term{{opExclude, "~x{1,2}"}, {opUnion, "y"}}},
		{"a{1,2}", []term{{opUnion, "a{1"}, {opUnion, "2}"}}}, // braces only nest in regexes
		{"web[1,3],db", []term{{opUnion, "web[1,3]"}, {opUnion, "db"}}},
		{",,!,&", nil},
		{",,:!:&", []term{{opUnion, ":!:&"}}},
	}
	for _, tc := range tests {
		equal(t, "parsePattern("+tc.in+")", parsePattern(tc.in), tc.want)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "abc", true}, {"*c", "abc", true},
		{"a*c", "ac", true}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"*b*", "abc", true},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false}, {"abc", "abc", true}, {"abc", "abd", false},
		{"**", "x", true}, {"a*", "", false}, {"*.example.com", "web.example.com", true},
	}
	for _, tc := range tests {
		if got := globMatch(tc.glob, tc.name); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.glob, tc.name, got, tc.want)
		}
	}
}
