package module

import (
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// A report of the curl script (golden): redirect then final response,
// with a cookie on each, and the body.
func TestParseCurlReport(t *testing.T) {
	tok := "rctlabc"
	w := "200 http://h/final"
	h := "HTTP/1.1 302 Found\r\nLocation: /final\r\nSet-Cookie: a=1; Path=/\r\n\r\n" +
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Dup: one\r\nX-Dup: two\r\nSet-Cookie: b=2\r\nContent-Length: 7\r\n\r\n"
	body := `{"k":1}`
	out := Output{Stdout: tok + " 0\n" + itoa(len(w)) + "\n" + w + "0\n" + itoa(len(h)) + "\n" + h + itoa(len(body)) + "\n" + body}
	r, err := parseCurl(tok, false, out)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != 200 || r.finalURL != "http://h/final" || r.reason != "OK" || string(r.body) != body {
		t.Errorf("parsed %+v", r)
	}
	if r.headers["x-dup"] != "one, two" || r.headers["content-type"] != "application/json" {
		t.Errorf("headers %v", r.headers)
	}
	info := r.info("http://h/start")
	want := map[string]any{"status": 200, "msg": "OK (7 bytes)", "url": "http://h/final",
		"cookies": map[string]any{"a": "1", "b": "2"}, "cookies_string": "a=1; b=2"}
	for k, v := range want {
		if !reflect.DeepEqual(info[k], v) {
			t.Errorf("info[%s] = %v, want %v", k, info[k], v)
		}
	}
	// curl could not connect: no response at all.
	e := "curl: (7) Failed to connect"
	w = "000 http://h:1/"
	out = Output{Stdout: tok + " 7\n" + itoa(len(w)) + "\n" + w + itoa(len(e)) + "\n" + e + "0\n0\n"}
	r, err = parseCurl(tok, false, out)
	if err != nil {
		t.Fatal(err)
	}
	if info := r.info("http://h:1/"); info["status"] != -1 || !strings.Contains(info["msg"].(string), "Connection refused") {
		t.Errorf("refused: %v", info)
	}
	// A download: the output's size and sha1 instead of the body.
	out = Output{Stdout: tok + " 0\n" + "3\n200" + "0\n" + "0\n" + "19\nda39a3ee5e6b4b0d3255bfef95601890afd80709  -\n"}
	r, err = parseCurl(tok, true, out)
	if err != nil || r.outputLen != 19 || r.outputSum != "da39a3ee5e6b4b0d3255bfef95601890afd80709" {
		t.Errorf("download report: %+v %v", r, err)
	}
	if _, err := parseCurl(tok, false, Output{Stdout: "garbage", RC: 1}); err == nil {
		t.Error("a report without the token is an error")
	}
	if r, _ := parseCurl(tok, false, Output{Stdout: tok + " nocurl\n"}); !r.noCurl {
		t.Error("nocurl")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestNetHelpers(t *testing.T) {
	sums := "abc  other.tar.gz\n123 *./pkg-1.0.tar.gz\n"
	if s, ok := checksumFromFile(sums, "pkg-1.0.tar.gz"); !ok || s != "123" {
		t.Errorf("checksumFromFile: %q %v", s, ok)
	}
	if s, ok := checksumFromFile("deadbeef\n", "x"); !ok || s != "deadbeef" {
		t.Errorf("single checksum: %q %v", s, ok)
	}
	if _, ok := checksumFromFile(sums, "nope"); ok {
		t.Error("missing file found")
	}
	for u, want := range map[string]string{"http://h/a/b.tgz?x=1": "b.tgz", "http://h/": "index.html", "http://h": "index.html", "http://h/dir/": "index.html"} {
		if got := urlFilename(u); got != want {
			t.Errorf("urlFilename(%s) = %s, want %s", u, got, want)
		}
	}
	if got := absoluteLocation("http://h:8/a/b", "/c"); got != "http://h:8/c" {
		t.Errorf("absoluteLocation: %s", got)
	}
	if got := pyJSONDumps(map[string]any{"b": []any{1, true, nil}, "a": "é"}); got != `{"a": "\u00e9", "b": [1, true, null]}` {
		t.Errorf("pyJSONDumps: %s", got)
	}
	if got := procHex(net.ParseIP("127.0.0.1")); !reflect.DeepEqual(got, []string{"0100007F", "0000000000000000FFFF00000100007F"}) {
		t.Errorf("procHex: %v", got)
	}
	if got := pyIntList([]int{200, 201}); got != "[200, 201]" {
		t.Errorf("pyIntList: %s", got)
	}
	if got := cfgQuote("a\"b\\c\nd"); got != `"a\"b\\c\nd"` {
		t.Errorf("cfgQuote: %s", got)
	}
}

// The password reaches curl on stdin (its config), never on a command line.
func TestURIPasswordNotInScript(t *testing.T) {
	q := &httpReq{url: "http://h/", method: "GET", hasUser: true, user: "u", pass: "p4ss"}
	script := q.script("tok", 10, 10, 10)
	if strings.Contains(script, "p4ss") {
		t.Errorf("the password is in the script: %s", script)
	}
	if !strings.Contains(q.wgetConfig("/d"), "http_password = p4ss") {
		t.Errorf("wget config: %s", q.wgetConfig("/d"))
	}
	if !strings.Contains(q.config("/d"), `user = "u:p4ss"`) {
		t.Errorf("config: %s", q.config("/d"))
	}
}
