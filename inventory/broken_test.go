package inventory

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokenInventories loads each file of testdata/broken and checks the
// exact message: where the problem is and what it is.
func TestBrokenInventories(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		// remotectl YAML
		{"unknown_key.yaml", `unknown_key.yaml:3:5: unknown key "adress" in host "web01.example.com" (did you mean "address"?)`},
		{"unknown_top.yaml", `unknown_top.yaml:3:1: unknown key "group" at the top level (did you mean "groups"?)`},
		{"unknown_conn_key.yaml", `unknown_conn_key.yaml:4:5: unknown key "proxyjump" in the connection of defaults (did you mean "proxy_jump"?)`},
		{"bad_port.yaml", `bad_port.yaml:3:11: port of host "web01" must be a number, got "twenty-two"`},
		{"port_range.yaml", `port_range.yaml:3:11: port of host "web01" must be between 1 and 65535, got 70000`},
		{"bad_transport.yaml", `bad_transport.yaml:3:16: transport of group "legacy" must be one of ssh, winrm, local, got "telnet"`},
		{"bad_duration.yaml", `bad_duration.yaml:3:22: connect_timeout of defaults must be a duration such as 10s or 1m30s, or a number of seconds, got "soon"`},
		{"bad_vars.yaml", `bad_vars.yaml:3:11: vars of host "web01" must be a mapping, got a list`},
		{"bad_name.yaml", `bad_name.yaml:2:3: host name "web 01" contains white space`},
		{"duplicate_host.yaml", `duplicate_host.yaml:3:3: duplicate key "web01" in hosts (first at line 2); hint: merge the two entries into one`},
		{"cycle.yaml", `cycle.yaml:7:16: groups form a cycle: a -> b -> c -> a; hint: a group cannot contain itself; remove one of these children entries`},
		{"self_child.yaml", `self_child.yaml:3:16: groups form a cycle: web -> web; hint: a group cannot contain itself; remove one of these children entries`},
		{"undefined_child.yaml", `undefined_child.yaml:5:16: group "frontend" lists child group "wbe", which is not defined; hint: did you mean "web"?`},
		{"invalid.yaml", `invalid.yaml:2: invalid YAML: did not find expected key (in the block that starts on this line); hint: check the indentation and quoting around this line`},
		{"flow_range.yaml", `flow_range.yaml:5: invalid YAML: did not find expected ',' or ']' (in the block that starts on this line); hint: quote node ranges inside [...] lists ("web[01-04]"), or use a block list (- web[01-04])`},
		{"not_mapping.yaml", `not_mapping.yaml:1:1: a YAML inventory must be a mapping, got a list; hint: start with hosts:, groups: and defaults: (remotectl), or with all: (Ansible)`},
		{"multi_doc.yaml", `multi_doc.yaml:3:1: a second YAML document starts here; hint: an inventory is one document; remove the --- line or split the file`},
		{"alias_bomb.yaml", `alias_bomb.yaml:8:12: the document expands to too many values through aliases; hint: aliases (*name) may repeat values, but not exponentially`},

		// Ansible INI
		{"bad_section.ini", `bad_section.ini:1: invalid section header [web servers]; hint: section names cannot contain spaces or ':' other than in [name:vars] and [name:children]`},
		{"section_type.ini", `section_type.ini:3: section [web:childs] has unknown type "childs"; hint: use [web], [web:vars] or [web:children]`},
		{"undefined_children.ini", `undefined_children.ini:6: section [frontend:children] lists group "api", which is never declared; hint: declare it with [api] or fix the name`},
		{"vars_undefined.ini", `vars_undefined.ini:4: section [db:vars] is for group "db", which is never declared; hint: declare it with [db] or [db:children], or fix the name`},
		{"bad_hostvar.ini", `bad_hostvar.ini:3: expected key=value host variable, got "ansible_port"; hint: quote values containing spaces: key="a value"`},
		{"unclosed_quote.ini", `unclosed_quote.ini:2: cannot parse host line: no closing quotation`},
		{"bad_connection.ini", `bad_connection.ini:2: host app1: ansible_connection "docker" is not supported: remotectl connects with ssh, winrm (also for psrp) or local`},
		{"bad_port.ini", `bad_port.ini:2: host web01: ansible_port must be a number, got "ssh"`},
		{"template_host.ini", `template_host.ini:2: host web01: ansible_host uses a Jinja template ("{{ inventory_hostname }}.internal"), which remotectl does not evaluate`},
		{"bad_ini_range.ini", `bad_ini_range.ini:2: host range "www[01:5].example.com": range [01:5]: begin and end must have the same width when begin has leading zeros`},

		// Ansible YAML
		{"plugin.yml", `plugin.yml:1:1: this is the configuration of an Ansible inventory plugin, not an inventory; hint: export the inventory it produces with: ansible-inventory -i testdata/broken/plugin.yml --list > inventory.json`},
		{"ansible_hosts_list.yml", `ansible_hosts_list.yml:5:9: hosts of group "web" must be a mapping, got a list; hint: write each entry as a key, e.g. "web01:"`},
		{"ansible_bad_key.yml", `ansible_bad_key.yml:4:7: unknown key "host" in group "web" (did you mean "hosts"?)`},
		{"ansible_vault.yml", `ansible_vault.yml:3:23: value is encrypted with Ansible Vault and no vault password was given; hint: pass the vault password with --vault-password-file FILE (or --vault-id)`},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Load([]string{filepath.Join("testdata", "broken", tc.file)}, LoadOptions{Transports: testTransports()})
			if err == nil {
				t.Fatal("loaded without error")
			}
			if got, want := err.Error(), "testdata/broken/"+tc.want; got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error is a %T, want *Error", err)
			}
		})
	}
}

func TestBadRangeNamesTheRange(t *testing.T) {
	// The rest of the message comes from package nodeset.
	_, err := Load([]string{"testdata/broken/bad_range.yaml"}, LoadOptions{Transports: testTransports()})
	if err == nil || !strings.HasPrefix(err.Error(), `testdata/broken/bad_range.yaml:2:3: bad host range "web[03-]": `) {
		t.Fatalf("got %v", err)
	}
}

func TestConflictAcrossFiles(t *testing.T) {
	a, b := "testdata/broken/conflict_a.yaml", "testdata/broken/conflict_b.ini"
	for _, f := range []string{a, b} {
		if _, err := Load([]string{f}, LoadOptions{Transports: testTransports()}); err != nil {
			t.Fatalf("%s alone must load: %v", f, err)
		}
	}
	_, err := Load([]string{a, b}, LoadOptions{Transports: testTransports()})
	want := `testdata/broken/conflict_b.ini:3: host "web01.example.com" is defined twice with different address: 10.0.0.99 here, 10.0.0.1 at testdata/broken/conflict_a.yaml:3:14; hint: give the host one address, or rename one of them`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}
