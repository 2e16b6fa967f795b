package module

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const fileBody = "the file's content\n"

// testHTTPServer serves what the uri and get_url cases ask for, on
// 127.0.0.1.
func testHTTPServer(t *testing.T) *httptest.Server {
	t.Helper()
	mod := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc"})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Custom-Thing", "one")
		w.Header().Add("X-Custom-Thing", "two")
		fmt.Fprint(w, `{"a": 1, "b": [true, null, "x"], "c": {"d": 1.5}}`)
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "hello\n")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/text", http.StatusFound)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "no such thing\n")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck // test server
			"method": r.Method, "body": string(body), "content_type": r.Header.Get("Content-Type"),
			"x_token": r.Header.Get("X-Token"), "agent": r.Header.Get("User-Agent")})
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "bob" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"user": "bob"}`)
	})
	mux.HandleFunc("/file.txt", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "file.txt", mod, strings.NewReader(fileBody))
	})
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="named.bin"`)
		http.ServeContent(w, r, "named.bin", mod, strings.NewReader(fileBody))
	})
	mux.HandleFunc("/SHA256SUMS", func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.Sum256([]byte(fileBody))
		fmt.Fprintf(w, "0000  other.txt\n%s  file.txt\n", hex.EncodeToString(sum[:]))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// subst replaces from by to in every string of v (the state directory
// of one side in the arguments and the results).
func subst(v any, from, to string) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, from, to)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = subst(e, from, to)
		}
		return out
	case Result:
		return subst(map[string]any(x), from, to)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = subst(e, from, to)
		}
		return out
	}
	return v
}

// compareBatch runs cases with ansible (state under one directory) and
// with remotectl (under another), in order, and compares keys; @D@ in
// arguments is the side's directory.
func compareBatch(t *testing.T, cases []oracleCase, keys []string) ([]Result, []map[string]any) {
	t.Helper()
	ansDir, ourDir := t.TempDir(), t.TempDir()
	for _, d := range []string{ansDir, ourDir} {
		if err := os.Mkdir(filepath.Join(d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	side := func(dir string) []oracleCase {
		out := make([]oracleCase, len(cases))
		for i, c := range cases {
			if c.Args != nil {
				c.Args = subst(c.Args, "@D@", dir).(map[string]any)
			}
			c.Free = strings.ReplaceAll(c.Free, "@D@", dir)
			out[i] = c
		}
		return out
	}
	want := ansibleBatch(t, side(ansDir))
	for i := range want {
		want[i] = subst(want[i], ansDir, "@D@").(map[string]any)
	}
	var gots []Result
	ours := func(dir, tool string) {
		for i, c := range side(dir) {
			got := subst(runCase(t, c), dir, "@D@").(map[string]any)
			what := fmt.Sprintf("#%d %s %v (%s)", i, c.Module, subst(cases[i].Args, "@D@", "D"), tool)
			if c.Check {
				what += " (check)"
			}
			k := keys
			if st, _ := got["status"].(int); tool == "wget" && st >= 300 && st < 400 {
				// wget does not keep the body of a redirect it does not follow
				k = slices.DeleteFunc(slices.Clone(keys), func(s string) bool { return s == "body" })
			}
			sameKeys(t, what, got, want[i], k...)
			if tool == "curl" {
				gots = append(gots, got)
			}
		}
		for _, name := range []string{"out.txt", "sub/file.txt", "sub/named.bin", "sub/other.txt", "sub/x.txt", "sub/index.html", "made"} {
			a, aerr := os.ReadFile(filepath.Join(ansDir, name))
			o, oerr := os.ReadFile(filepath.Join(dir, name))
			if (aerr == nil) != (oerr == nil) || !bytes.Equal(a, o) {
				t.Errorf("%s (%s): ansible %q (%v), ours %q (%v)", name, tool, a, aerr, o, oerr)
			}
		}
	}
	ours(ourDir, "curl")
	if _, err := exec.LookPath("wget"); err == nil && slices.ContainsFunc(cases, func(c oracleCase) bool { return c.Module == "uri" || c.Module == "get_url" }) {
		t.Run("wget", func(t *testing.T) {
			t.Setenv("PATH", pathWithout(t, "curl"))
			wgetDir := t.TempDir()
			if err := os.Mkdir(filepath.Join(wgetDir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			ours(wgetDir, "wget")
		})
	}
	return gots, want
}

// pathWithout returns a PATH of one directory holding links to the
// programs of the current PATH but the named one (a host without it).
func pathWithout(t *testing.T, name string) string {
	t.Helper()
	bin := t.TempDir()
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() == name {
				continue
			}
			_ = os.Symlink(filepath.Join(dir, e.Name()), filepath.Join(bin, e.Name())) // the first one wins
		}
	}
	return bin
}

func needCurl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; scripts/test.sh installs it")
	}
}

func TestURIAsAnsible(t *testing.T) {
	needCurl(t)
	srv := testHTTPServer(t)
	u := srv.URL
	keys := []string{"changed", "failed", "status", "url", "redirected", "msg", "json", "content", "content_type",
		"content_length", "x_custom_thing", "cookies", "cookies_string", "location", "path", "stdout", "body"}
	cases := []oracleCase{
		{Module: "uri", Args: map[string]any{"url": u + "/json"}},
		{Module: "uri", Args: map[string]any{"url": u + "/text", "return_content": true}},
		{Module: "uri", Args: map[string]any{"url": u + "/redirect", "return_content": true}},
		{Module: "uri", Args: map[string]any{"url": u + "/redirect", "follow_redirects": "none", "status_code": []any{302}}},
		{Module: "uri", Args: map[string]any{"url": u + "/redirect", "follow_redirects": "none"}},
		{Module: "uri", Args: map[string]any{"url": u + "/missing"}},
		{Module: "uri", Args: map[string]any{"url": u + "/missing", "status_code": "200,404", "return_content": true}},
		{Module: "uri", Args: map[string]any{"url": u + "/echo", "method": "POST", "body_format": "json",
			"body": map[string]any{"k": "v", "n": []any{1, 2}}, "headers": map[string]any{"X-Token": "t1"}}},
		{Module: "uri", Args: map[string]any{"url": u + "/echo", "method": "put", "body_format": "form-urlencoded",
			"body": map[string]any{"name": "a b&c"}, "http_agent": "tester"}},
		{Module: "uri", Args: map[string]any{"url": u + "/echo", "method": "POST", "body": "raw text"}},
		{Module: "uri", Args: map[string]any{"url": u + "/auth", "url_username": "bob", "url_password": "s3cret"}},
		{Module: "uri", Args: map[string]any{"url": u + "/auth", "url_username": "bob", "url_password": "s3cret", "force_basic_auth": true}},
		{Module: "uri", Args: map[string]any{"url": u + "/auth", "user": "bob", "password": "wrong"}},
		{Module: "uri", Args: map[string]any{"url": u + "/text", "dest": "@D@/out.txt"}},
		{Module: "uri", Args: map[string]any{"url": u + "/text", "creates": "@D@/out.txt"}},
		{Module: "uri", Args: map[string]any{"url": u + "/text", "removes": "@D@/nothing"}},
		{Module: "uri", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/"}},
		{Module: "uri", Args: map[string]any{"url": "http://127.0.0.1:1/closed"}},
		{Module: "uri", Args: map[string]any{"url": u + "/json", "method": "two words"}},
	}
	got, _ := compareBatch(t, cases, keys)
	if v, _ := got[0]["json"].(map[string]any); v["a"] != float64(1) {
		t.Errorf("uri json: %v", got[0]["json"])
	}
	if v, _ := got[10]["json"].(map[string]any); v["user"] != "bob" {
		t.Errorf("uri auth: %v", got[10])
	}
}

func TestGetURLAsAnsible(t *testing.T) {
	needCurl(t)
	srv := testHTTPServer(t)
	u := srv.URL
	sum := sha256.Sum256([]byte(fileBody))
	good := "sha256:" + hex.EncodeToString(sum[:])
	keys := []string{"changed", "failed", "msg", "dest", "url", "status_code", "checksum_src", "checksum_dest",
		"md5sum", "size", "state", "mode", "response"}
	cases := []oracleCase{
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/file.txt"}, Check: true},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/file.txt", "mode": "0600"}},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/file.txt", "mode": "0600"}},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/file.txt", "mode": "0640"}},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/file.txt", "checksum": good}},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/file.txt", "checksum": good, "mode": "u=rw,g=r,o=r"}, Check: true},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/file.txt", "force": true}},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/other.txt", "checksum": "sha256:" + strings.Repeat("0", 64)}},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/sub/x.txt", "checksum": "sha256:" + u + "/SHA256SUMS"}},
		{Module: "get_url", Args: map[string]any{"url": u + "/download", "dest": "@D@/sub/"}},
		{Module: "get_url", Args: map[string]any{"url": u + "/download", "dest": "@D@/sub/"}},
		{Module: "get_url", Args: map[string]any{"url": u + "/missing", "dest": "@D@/sub/m.txt"}},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/nodir/f.txt"}},
		{Module: "get_url", Args: map[string]any{"url": u + "/file.txt", "dest": "@D@/f.txt", "checksum": "sha256"}},
	}
	compareBatch(t, cases, keys)
}

func TestWaitForAsAnsible(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	if err := os.WriteFile(log, []byte("starting\nlistening on port 8042 as web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	banner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer banner.Close()
	go func() {
		for {
			c, err := banner.Accept()
			if err != nil {
				return
			}
			fmt.Fprint(c, "SSH-2.0-OpenSSH_9.2 Debian\r\n")
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	closedL, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := closedL.Addr().(*net.TCPAddr).Port
	closedL.Close()
	port := func(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }
	keys := []string{"changed", "failed", "msg", "state", "port", "path", "search_regex", "match_groups", "match_groupdict"}
	cases := []oracleCase{
		{Module: "wait_for", Args: map[string]any{"port": port(open), "timeout": 5}},
		{Module: "wait_for", Args: map[string]any{"port": closed, "state": "stopped", "timeout": 5}},
		{Module: "wait_for", Args: map[string]any{"port": closed, "timeout": 1}},
		{Module: "wait_for", Args: map[string]any{"path": log}},
		{Module: "wait_for", Args: map[string]any{"path": filepath.Join(dir, "gone"), "state": "absent"}},
		{Module: "wait_for", Args: map[string]any{"path": log, "search_regex": `port (?P<port>\d+) as (\w+)`}},
		{Module: "wait_for", Args: map[string]any{"path": log, "search_regex": "never there", "timeout": 1, "msg": "custom"}},
		{Module: "wait_for", Args: map[string]any{"path": filepath.Join(dir, "gone"), "timeout": 1}},
		{Module: "wait_for", Args: map[string]any{"port": port(banner), "search_regex": "OpenSSH", "timeout": 10}},
		{Module: "wait_for", Args: map[string]any{"port": closed, "state": "drained", "timeout": 5}},
		{Module: "wait_for", Args: map[string]any{"port": 1, "path": log}},
		{Module: "wait_for", Args: map[string]any{"timeout": 0}},
	}
	want := ansibleBatch(t, cases)
	for i, c := range cases {
		got := runCase(t, c)
		sameKeys(t, fmt.Sprintf("#%d wait_for %v", i, c.Args), got, want[i], keys...)
		if _, ok := got["elapsed"].(int); !ok {
			t.Errorf("#%d wait_for: elapsed %v", i, got["elapsed"])
		}
	}
}

// A host without curl and wget, or without bash and nc, is refused with
// a message that names what is missing, never run differently.
func TestNetRefusesWithoutTools(t *testing.T) {
	bin := pathWithout(t, "curl")
	if err := os.Remove(filepath.Join(bin, "wget")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, tool := range []string{"bash", "nc"} {
		if err := os.Remove(filepath.Join(bin, tool)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	dest := filepath.Join(t.TempDir(), "f")
	for name, args := range map[string]map[string]any{
		"uri":      {"url": "http://127.0.0.1:1/"},
		"get_url":  {"url": "http://127.0.0.1:1/", "dest": dest},
		"wait_for": {"port": 1, "timeout": 1},
	} {
		res := runLocal(t, name, args, false, false)
		msg, _ := res["msg"].(string)
		if !res.IsFailed() || !strings.Contains(msg, "localhost") || !(strings.Contains(msg, "curl") || strings.Contains(msg, "nc")) {
			t.Errorf("%s without its tools: %v", name, res)
		}
	}
	if _, err := os.Stat(dest); err == nil {
		t.Errorf("get_url without curl created %s", dest)
	}
}

// backup keeps the replaced file; tmp_dest is where the download waits;
// a second run with the same content changes nothing.
func TestGetURLBackupAndTmpDest(t *testing.T) {
	needCurl(t)
	srv := testHTTPServer(t)
	dir := t.TempDir()
	dest := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(dest, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"url": srv.URL + "/file.txt", "dest": dest, "backup": true, "tmp_dest": tmp, "force": true}
	res := runLocal(t, "get_url", args, false, false)
	backup, _ := res["backup_file"].(string)
	if !res.Changed() || res.IsFailed() || !strings.HasPrefix(backup, dest+".") {
		t.Fatalf("first run: %v", res)
	}
	if data, _ := os.ReadFile(backup); string(data) != "old\n" {
		t.Errorf("backup %s holds %q", backup, data)
	}
	if data, _ := os.ReadFile(dest); string(data) != fileBody {
		t.Errorf("dest holds %q", data)
	}
	if st, _ := os.Stat(dest); st.Mode().Perm() != 0o640 || res["mode"] != "0640" {
		t.Errorf("the replaced file keeps its mode: %v, result %v", st.Mode(), res["mode"])
	}
	res = runLocal(t, "get_url", args, false, false)
	if res.Changed() || res.IsFailed() || res["backup_file"] != nil {
		t.Errorf("second run: %v", res)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("tmp_dest keeps %v", left)
	}
}
