package checks

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestDNSServerDownAsGoss: a server that does not answer makes goss's
// untyped lookup (A and AAAA, whose errors goss drops) not resolvable, and
// a typed one an error; either way addrs is not evaluated (goss v0.4's
// binary, system/dns.go LookupHost and resource/dns.go shouldSkip).
func TestDNSServerDownAsGoss(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
dns:
  untyped.example: {resolvable: true, addrs: [192.0.2.1], server: "127.0.0.1:%[1]d", timeout: 500}
  A:typed.example: {resolvable: true, addrs: [192.0.2.1], server: "127.0.0.1:%[1]d", timeout: 500}
`, port)), RunOptions{})
	want := []string{
		"dns untyped.example resolvable fail", "dns untyped.example addrs skip",
		"dns A:typed.example resolvable error", "dns A:typed.example addrs skip",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
}

// TestEmptyOutputListAssertsNothing: goss does not evaluate an output
// property given as an empty list (goss add writes contents: []), so it
// has no result; other empty lists are evaluated.
func TestEmptyOutputListAssertsNothing(t *testing.T) {
	cs := mustParse(t, `
command:
  echo hi: {exit-status: 0, stdout: [], stderr: []}
file:
  /etc/passwd: {exists: true, contents: []}
  /etc/group: {contains: []}
http:
  http://127.0.0.1:1/: {status: 200, body: [], headers: []}
user:
  root: {exists: true, groups: []}
`)
	want := [][]string{{"exit-status"}, {"exists"}, nil, {"status"}, {"exists", "groups"}}
	for i, c := range cs {
		if got := c.Properties(); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("%s %s: properties %q, want %q", c.Type, c.ID, got, want[i])
		}
	}
}

// TestAddrLocalAddressNotAnIP: goss's own Windows tests write
// local-address: true; goss dials from no particular address then, and so
// does this, saying so.
func TestAddrLocalAddressNotAnIP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, fmt.Sprintf(`
addr:
  tcp://%s: {reachable: true, local-address: true}
`, ln.Addr())), RunOptions{})
	if r := results[0]; r.Status != Pass || !strings.Contains(r.Message, `local-address "true" is not an IP address: ignored`) {
		t.Errorf("result = %+v", r)
	}
}

// TestAutoAddServiceDisabled: goss autoadd adds a service that exists,
// even disabled and stopped, and no process that does not run.
func TestAutoAddServiceDisabled(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{
		posixCall("_getent", "group", "web"):  {out: ""},
		posixCall("_pkg", "web"):              {out: probe(t, "pkg_dpkg_missing.txt")},
		posixCall("_ps"):                      {out: "bash\nsshd\n"},
		posixCall("_svc", "web"):              {out: "Init=systemd\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\n"},
		posixCall("_getent", "passwd", "web"): {out: ""},
	})
	entries, err := AutoAdd(context.Background(), host.exec(), "web", RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Type+" "+e.ID)
	}
	if want := []string{"service web"}; !reflect.DeepEqual(got, want) {
		t.Errorf("autoadd web = %q, want %q", got, want)
	}
}

// TestMatchingErrorsAsGoss: what goss's binary cannot evaluate is an error
// of the property, not a failure: a list (contain-elements) on a single
// value, a gjson path on text that is not JSON or that selects nothing
// (goss's docs/goss.yaml and testdata/matching_transformers_failing.yaml);
// an unknown matcher is an error of its property and the rest runs
// (have-key-with-value, in goss's docs/goss.yaml); a list of line patterns
// under not (goss's testdata/matching_basic_failing.yaml).
func TestMatchingErrorsAsGoss(t *testing.T) {
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, mustParse(t, `
matching:
  check_status: {content: PASS, matches: [{not: FAIL}]}
  list_of_list: {content: [PASS], matches: [{not: FAIL}]}
  as_reader: {content: "PASS\n", as-reader: true, matches: ["!FAIL"]}
  test_gjson_not_found: {content: '{"arr": [{"nested": "cow"}]}', matches: {gjson: {foo: bar}}}
  test_gjson_invalid: {content: '{"arr"', matches: {gjson: {"@this": [{have-key: arr}]}}}
  test_gjson_ok: {content: '{"foo": "bar"}', matches: {gjson: {foo: bar}}}
  has_foo_bar_and_baz:
    content: {foo: bar, baz: bing}
    matches: {and: [{have-key-with-value: {foo: bar}}, {have-key: baz}]}
  has_baz: {content: {foo: bar, baz: bing}, matches: {have-key: baz}}
  negated_basic_reader: {as-reader: true, content: "foo bar\nmoo cow\n", matches: {not: [foo, "!ftw"]}}
`), RunOptions{})
	want := []string{
		"matching check_status matches error", "matching list_of_list matches pass", "matching as_reader matches pass",
		"matching test_gjson_not_found matches error", "matching test_gjson_invalid matches error",
		"matching test_gjson_ok matches pass", "matching has_foo_bar_and_baz matches error", "matching has_baz matches pass",
		"matching negated_basic_reader matches error",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results:\n got %q\nwant %q", got, want)
	}
	for i, sub := range map[int]string{0: "expects a list or a map", 3: "path not found: foo", 4: "invalid JSON",
		6: `checks.yaml:11:22: matches: unknown matcher "have-key-with-value"`, 8: "not line patterns in goss"} {
		if !strings.Contains(results[i].Message, sub) {
			t.Errorf("%s: message %q lacks %q", results[i].ID, results[i].Message, sub)
		}
	}
}
