package checks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A goss file using supported types, as goss's documentation writes them:
// it must parse unchanged.
const gossFile = `
port:
  tcp:22:
    listening: true
    ip:
    - 0.0.0.0
  udp6:123:
    listening: false
    skip: false
service:
  sshd:
    enabled: true
    running: true
http:
  https://www.google.com:
    status: 200
    allow-insecure: false
    no-follow-redirects: false
    timeout: 5000
    request-headers:
       - "Content-Type: text/html"
    headers: []
    body: [Google, "!error", "/[Ss]earch/"]
    method: PUT
    meta:
      owner: web-team
command:
  'echo hi':
    exit-status: 0
    stdout:
    - hi
    stderr: []
    timeout: 10000
file:
  /etc/passwd:
    exists: true
    mode: "0644"
    size: 2118
    owner: root
    group: root
    filetype: file
    contents: []
    sha256: 7f78ce27859049f725936f7b52c6e25d774012947d915e7b394402cfceb70c4c
package:
  httpd:
    installed: true
    versions:
    - 2.2.15
user:
  nfsnobody:
    exists: true
    uid: 65534
    gid: 65534
    groups:
    - nfsnobody
    home: /var/lib/nfs
    shell: /sbin/nologin
group:
  nfsnobody:
    exists: true
    gid: 65534
kernel-param:
  kernel.ostype:
    value: Linux
  net.core.somaxconn:
    value: {gt: 200}
mount:
  /home:
    exists: true
    opts:
    - rw
    - relatime
    source: /dev/mapper/fedora-home
    filesystem: xfs
    usage:
      lt: 95
dns:
  localhost:
    resolvable: true
    addrs:
      consist-of: [127.0.0.1]
    timeout: 500
  SRV:_https._tcp.dnstest.io:
    resolvable: true
    server: 208.67.222.222
    addrs:
    - "0 5 443 a.dnstest.io."
addr:
  tcp://ip-address-or-domain-name:80:
    reachable: true
    timeout: 500
process:
  chrome:
    running: true
`

func TestParseGossFileUnchanged(t *testing.T) {
	s, err := Parse("goss.yaml", []byte(gossFile))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range s.Checks {
		ids = append(ids, c.Type+" "+c.ID)
	}
	want := []string{
		"port tcp:22", "port udp6:123", "service sshd", "http https://www.google.com", "command echo hi",
		"file /etc/passwd", "package httpd", "user nfsnobody", "group nfsnobody", "kernel-param kernel.ostype",
		"kernel-param net.core.somaxconn", "mount /home", "dns localhost", "dns SRV:_https._tcp.dnstest.io",
		"addr tcp://ip-address-or-domain-name:80", "process chrome",
	}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("checks in file order:\n got %q\nwant %q", ids, want)
	}
	byID := make(map[string]*Check)
	for _, c := range s.Checks {
		byID[c.Type+" "+c.ID] = c
	}

	port := byID["port tcp:22"]
	if port.Pos != "goss.yaml:3:3" || port.Port.Network != "tcp" || port.Port.Port != 22 || port.From != FromHost {
		t.Errorf("port: %+v %+v", port, port.Port)
	}
	if got := port.Properties(); !reflect.DeepEqual(got, []string{"listening", "ip"}) {
		t.Errorf("port properties = %v", got)
	}
	if m := port.Port.IP; m.Op != OpContainElements || len(m.Args) != 1 || m.Args[0].Value.Text != "0.0.0.0" || m.Text != "[0.0.0.0]" {
		t.Errorf("ip matcher = %+v", m)
	}
	if u := byID["port udp6:123"].Port; u.Network != "udp6" || u.Port != 123 {
		t.Errorf("udp6 port = %+v", u)
	}

	h := byID["http https://www.google.com"]
	if h.Timeout != 5*time.Second || h.HTTP.Method != "PUT" || h.From != FromController ||
		!reflect.DeepEqual(h.HTTP.RequestHeaders, []string{"Content-Type: text/html"}) {
		t.Errorf("http = %+v %+v", h, h.HTTP)
	}
	if h.HTTP.Body.Op != OpAnd || len(h.HTTP.Body.Args) != 3 || h.HTTP.Body.Args[1].Op != OpNot {
		t.Errorf("body patterns = %+v", h.HTTP.Body)
	}

	cmd := byID["command echo hi"]
	if cmd.Command.Exec != "echo hi" || cmd.Timeout != 10*time.Second || cmd.Command.ExitStatus.Value.Num != 0 {
		t.Errorf("command = %+v %+v", cmd, cmd.Command)
	}
	if d := byID["dns SRV:_https._tcp.dnstest.io"].DNS; d.Type != "SRV" || d.Name != "_https._tcp.dnstest.io" || d.Server != "208.67.222.222:53" {
		t.Errorf("dns = %+v", d)
	}
	if a := byID["addr tcp://ip-address-or-domain-name:80"].Addr; a.Network != "tcp" || a.Address != "ip-address-or-domain-name:80" {
		t.Errorf("addr = %+v", a)
	}
	if kp := byID["kernel-param net.core.somaxconn"].KernelParam.Value; kp.Op != OpGT || kp.Value.Num != 200 {
		t.Errorf("kernel-param matcher = %+v", kp)
	}
}

func TestParseAdditions(t *testing.T) {
	s, err := Parse("web.yaml", []byte(`
hosts: web
http:
  http://{{ .Host.Name }}:8080/health:
    title: health endpoint
    status: 200
    from: host
    timeout: 2s
port:
  tcp:80:
    hosts: "web:&prod"
    listening: true
  tcp:81:
    skip: true
`))
	if err != nil {
		t.Fatal(err)
	}
	h, p80, p81 := s.Checks[0], s.Checks[1], s.Checks[2]
	if h.Title != "health endpoint" || h.Hosts != "web" || h.From != FromHost || h.Timeout != 2*time.Second {
		t.Errorf("http check = %+v", h)
	}
	if h.DisplayTitle() != "health endpoint" || p80.DisplayTitle() != "port tcp:80" {
		t.Errorf("titles = %q, %q", h.DisplayTitle(), p80.DisplayTitle())
	}
	if p80.Hosts != "web:&prod" {
		t.Errorf("per-check hosts = %q", p80.Hosts)
	}
	if !p81.Skip || len(p81.Properties()) != 0 {
		t.Errorf("skipped check = %+v", p81)
	}
}

// TestParseErrors checks each problem's position (file:line:col), message
// and hint, and that every problem of a file is reported at once.
func TestParseErrors(t *testing.T) {
	const soft = true // a property's expectation: an error of that property, the rest runs
	tests := []struct {
		name string
		soft bool
		in   string
		want []string
	}{
		{"unknown type", false, "prot:\n  tcp:22: {listening: true}\n",
			[]string{`f.yaml:1:1: unknown resource type "prot"; hint: did you mean "port"?`}},
		{"gossfile without a file", false, "gossfile:\n  a.yaml: {}\n",
			[]string{`f.yaml:2:3: gossfile includes cannot be read here; hint: include other check files from a check file given to remotectl check`}},
		{"unknown property", false, "port:\n  tcp:22:\n    listenning: true\n",
			[]string{`f.yaml:3:5: port: unknown property "listenning"; hint: did you mean "listening"?`}},
		{"nothing to check", false, "port:\n  tcp:22: {title: ssh}\n",
			[]string{`f.yaml:2:3: port "tcp:22" checks nothing; hint: add one of: listening, ip`}},
		{"wrong value type", soft, "port:\n  tcp:22:\n    listening: yes\n",
			[]string{`f.yaml:3:16: listening must be a boolean (true or false), not the string "yes"; hint: write true or false`}},
		{"number for a bool", soft, "service:\n  sshd: {running: 1}\n",
			[]string{`f.yaml:2:19: running must be a boolean (true or false), not a number (1); hint: write true or false`}},
		{"bad regexp matcher", soft, "command:\n  date:\n    stdout: {match-regexp: \"a(\"}\n",
			[]string{"f.yaml:3:28: stdout: bad regular expression: error parsing regexp: missing closing ): `a(`; hint: Go RE2 syntax: https://golang.org/s/re2syntax"}},
		{"bad regexp pattern", soft, "file:\n  /etc/motd:\n    contents: [\"/x[/\"]\n",
			[]string{"f.yaml:3:16: contents: bad regular expression: error parsing regexp: missing closing ]: `[`; hint: check the regular expression between the slashes (Go RE2 syntax)"}},
		{"unknown matcher", soft, "kernel-param:\n  vm.swappiness:\n    value: {greater: 3}\n",
			[]string{`f.yaml:3:13: value: unknown matcher "greater"; hint: expected one of: and, consist-of, contain-element, contain-elements, contain-substring, equal, ge, gjson, gt, have-key, have-len, have-patterns, have-prefix, have-suffix, le, lt, match-regexp, not, or, semver-constraint, xml`}},
		{"matcher typo", soft, "kernel-param:\n  vm.swappiness:\n    value: {have-prefx: \"1\"}\n",
			[]string{`f.yaml:3:13: value: unknown matcher "have-prefx"; hint: did you mean "have-prefix"?`}},
		{"matcher on wrong kind", soft, "port:\n  tcp:22: {listening: {gt: 1}}\n",
			[]string{`f.yaml:2:24: gt cannot be used on listening, which is a boolean (true or false)`}},
		{"bad template", false, "file:\n  /etc/{{ .Vars.name }:\n    exists: true\n",
			[]string{`f.yaml:2:3: bad template: unexpected "}" in operand; hint: Go template syntax: {{ .Host.Name }}, {{ .Vars.port }}`}},
		{"template in hosts", false, "hosts: \"{{ .Vars.group }}\"\nport:\n  tcp:22: {listening: true}\n",
			[]string{`f.yaml:1:8: hosts: cannot use templates; hint: select hosts with a pattern (web*, db:&prod); use templates in check values`}},
		{"bad port", false, "port:\n  tcp:http: {listening: true}\n",
			[]string{`f.yaml:2:3: port "tcp:http": "http" is not a port number (1-65535); hint: write tcp:PORT, tcp6:PORT, udp:PORT or udp6:PORT`}},
		{"option-like name", false, "service:\n  -sshd: {running: true}\n",
			[]string{`f.yaml:2:3: the service name "-sshd" starts with "-"; hint: tools on the host would read it as an option`}},
		{"bad network", false, "port:\n  sctp:22: {listening: true}\n",
			[]string{`f.yaml:2:3: port "sctp:22": unknown network "sctp"; hint: write tcp:PORT, tcp6:PORT, udp:PORT or udp6:PORT`}},
		{"vantage not allowed", false, "port:\n  tcp:22: {listening: true, from: controller}\n",
			[]string{`f.yaml:2:35: port checks can only be observed from the host`}},
		{"bad vantage", false, "http:\n  http://a/: {status: 200, from: there}\n",
			[]string{`f.yaml:2:34: from: must be host or controller, not "there"`}},
		{"bad url", false, "http:\n  www.example.com: {status: 200}\n",
			[]string{`f.yaml:2:3: http "www.example.com" is not an http:// or https:// URL; hint: write the full URL: https://host/path`}},
		{"bad dns type", false, "dns:\n  MXX:example.com: {resolvable: true}\n",
			[]string{`f.yaml:2:3: dns "MXX:example.com": unknown record type "MXX"; hint: use one of A AAAA CNAME MX TXT SRV NS PTR CAA SSHFP`}},
		{"bad timeout", false, "command:\n  date: {exit-status: 0, timeout: soon}\n",
			[]string{`f.yaml:2:35: timeout "soon" is not a duration; hint: write milliseconds (5000) or a duration with a unit (5s, 1m)`}},
		{"duplicate id", false, "port:\n  tcp:22: {listening: true}\n  tcp:22: {listening: false}\n",
			[]string{`f.yaml:3:3: "tcp:22" appears twice in port checks (first at line 2); the second would replace the first`}},
		{"not a mapping", false, "port: [22]\n",
			[]string{`f.yaml:1:7: port checks must be a mapping, not a list`}},
		{"yaml syntax", false, "port:\n  tcp:22: {listening: true\nfile: {}\n",
			[]string{`f.yaml:2: invalid YAML: did not find expected ',' or '}' (in the block that starts on this line); hint: check the indentation and quoting around this line`}},
		{"several at once", false, "port:\n  tcp:22: {listenin: true}\nservice:\n  sshd: {runing: true}\n",
			[]string{`f.yaml:2:12: port: unknown property "listenin"; hint: did you mean "listening"?`,
				`f.yaml:4:10: service: unknown property "runing"; hint: did you mean "running"?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("f.yaml", []byte(tt.in))
			if tt.soft {
				if err != nil || len(s.Checks) != 1 {
					t.Fatalf("Parse = %v; want one check whose property is an error", err)
				}
				if got := s.Checks[0].Problems(); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded with %d checks, want errors", len(s.Checks))
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Pos == "" {
				t.Errorf("error %v is not a *ParseError with a position", err)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "# nothing yet\n", "---\n"} {
		s, err := Parse("empty.yaml", []byte(in))
		if err != nil || len(s.Checks) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no checks, no error", in, s, err)
		}
	}
}

func TestLoadReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("port:\n  tcp:22: {listening: true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("port:\n  tcp:22: {listenin: true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	_, err := Load([]string{good, bad, missing})
	if err == nil {
		t.Fatal("Load succeeded")
	}
	msg := err.Error()
	for _, want := range []string{bad + ":2:12: port: unknown property", missing + ": cannot read the check file: no such file or directory"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Load error %q lacks %q", msg, want)
		}
	}

	s, err := Load([]string{good, good})
	if err != nil || len(s.Checks) != 2 {
		t.Fatalf("Load(good, good) = %v, %v", s, err)
	}
}

func TestForRendersTemplates(t *testing.T) {
	s, err := Parse("t.yaml", []byte(`
port:
  "tcp:{{ .Vars.port }}":
    listening: true
http:
  "http://{{ .Host.Name }}:{{ .Vars.port }}/":
    status: "{{ .Vars.code }}"
    body: ["{{ .Host.Name }}"]
    allow-insecure: "{{ .Vars.insecure }}"
file:
  /etc/hostname: {exists: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	host := HostInfo{Name: "web1", Vars: map[string]any{"port": 8080, "code": 204, "insecure": true}}
	got, errs := s.For(host, s.Checks)
	if len(errs) != 0 {
		t.Fatalf("template errors: %+v", errs)
	}
	if got[2] != s.Checks[2] {
		t.Error("a check without templates should be returned as is")
	}
	if p := got[0]; p.ID != "tcp:8080" || p.Port.Port != 8080 || p.Pos != "t.yaml:3:3" {
		t.Errorf("rendered port = %+v %+v", p, p.Port)
	}
	h := got[1].HTTP
	if got[1].ID != "http://web1:8080/" || h.URL != "http://web1:8080/" || !h.AllowInsecure ||
		h.Status.Value.Num != 204 || h.Body.Args[0].Args[0].Value.Text != "web1" {
		t.Errorf("rendered http = %+v status %+v", h, h.Status)
	}
	if s.Checks[0].ID != "tcp:{{ .Vars.port }}" {
		t.Errorf("For changed the suite's check: %q", s.Checks[0].ID)
	}

	// A missing variable and a value that renders invalid are Error results,
	// not panics; the other checks still render.
	other := HostInfo{Name: "db1", Vars: map[string]any{"port": "http"}}
	got, errs = s.For(other, s.Checks)
	if len(got) != 1 || got[0].Type != "file" {
		t.Errorf("rendered checks = %v", got)
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %+v", errs)
	}
	for _, r := range errs {
		if r.Status != Error || r.Host != "db1" || r.Property != "template" {
			t.Errorf("template error result = %+v", r)
		}
	}
	if want := `t.yaml:3:3: port "tcp:http": "http" is not a port number`; !strings.Contains(errs[0].Message, want) {
		t.Errorf("message %q lacks %q", errs[0].Message, want)
	}
	if want := `t.yaml:7:13: template: at <.Vars.code>: map has no entry for key "code"`; !strings.Contains(errs[1].Message, want) {
		t.Errorf("message %q lacks %q", errs[1].Message, want)
	}
}

func TestRunRefusesUnrenderedTemplates(t *testing.T) {
	checks := mustParse(t, "port:\n  \"tcp:{{ .Vars.port }}\": {listening: true}\n")
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, checks, RunOptions{})
	if len(results) != 1 || results[0].Status != Error || !strings.Contains(results[0].Message, "Suite.For") {
		t.Errorf("results = %+v", results)
	}
}

func TestParseGossSpellingsTwice(t *testing.T) {
	_, err := Parse("f.yaml", []byte("file:\n  /a: {exists: true, contents: [x], contains: [y]}\n"))
	if err == nil || !strings.Contains(err.Error(), "contains repeats a property given under its other name") {
		t.Errorf("err = %v", err)
	}
}

// TestLoadGossfileIncludes follows goss's store.go: includes are relative to
// the including file, globs are read in order, file: names the path,
// skip: true leaves an entry out, and entries are read in id order.
func TestLoadGossfileIncludes(t *testing.T) {
	s, err := Load([]string{filepath.Join("testdata", "gossfile", "main.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range s.Checks {
		ids = append(ids, c.ID)
	}
	if want := []string{"main", "leaf", "a", "leaf", "b"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("checks = %q, want %q", ids, want)
	}
	for file, want := range map[string]string{
		"loop.yaml":    "gossfile includes nest more than 50 deep",
		"nomatch.yaml": `matches no file`,
	} {
		_, err := Load([]string{filepath.Join("testdata", "gossfile", file)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", file, err, want)
		}
	}
}
