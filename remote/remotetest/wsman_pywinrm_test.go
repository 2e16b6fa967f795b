//go:build unix

package remotetest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Fidelity tests: Debian's pywinrm (python3-winrm), a client written and
// tested against real Windows, must work against the server unchanged, in
// every authentication and encryption mode.

const (
	pywinrmPython = "/usr/bin/python3" // Debian's, where python3-winrm installs; not a pyenv one
	pywinrmScript = "testdata/pywinrm/wsman_client.py"
	// pywinrmOpenSSLConf enables OpenSSL 3's legacy provider for the python
	// process: NTLM needs MD4.
	pywinrmOpenSSLConf = `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
`
)

// pywinrmStep is one step of testdata/pywinrm/wsman_client.py.
type pywinrmStep struct {
	Kind    string   `json:"kind"`
	Command string   `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	Script  string   `json:"script,omitempty"`
	Stdin   []byte   `json:"stdin,omitempty"`
	Chunk   int      `json:"chunk,omitempty"`
}

// pywinrmResult is what pywinrm observed for a step.
type pywinrmResult struct {
	Stdout []byte `json:"stdout"`
	Stderr []byte `json:"stderr"`
	Code   int    `json:"code"`
	Error  string `json:"error"`
}

// requirePywinrm skips the test when Debian's python3-winrm is missing
// (fails it when CI=true).
func requirePywinrm(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(pywinrmPython); err != nil {
		unavailable(t, "pywinrm fidelity tests need %s: %v", pywinrmPython, err)
	}
	if out, err := exec.Command(pywinrmPython, "-c", "import winrm, requests_ntlm, xmltodict").CombinedOutput(); err != nil {
		unavailable(t, "pywinrm fidelity tests need Debian's python3-winrm (apt-get install python3-winrm): %v\n%s", err, out)
	}
}

// runPywinrm runs the steps over one pywinrm session against srv. session
// holds extra winrm.Session keyword arguments.
func runPywinrm(t *testing.T, srv *WSManServer, user, password string, session map[string]any, steps ...pywinrmStep) []pywinrmResult {
	t.Helper()
	return runPywinrmScript(t, pywinrmScript, srv, user, password, session, steps...)
}

// runPywinrmScript is runPywinrm with another driver script.
func runPywinrmScript(t *testing.T, script string, srv *WSManServer, user, password string, session map[string]any, steps ...pywinrmStep) []pywinrmResult {
	t.Helper()
	dir := t.TempDir()
	config, err := json.Marshal(map[string]any{
		"endpoint": srv.URL, "user": user, "password": password, "session": session, "steps": steps,
	})
	if err != nil {
		t.Fatal(err)
	}
	configFile := filepath.Join(dir, "config.json")
	sslConf := filepath.Join(dir, "openssl.cnf")
	for path, data := range map[string][]byte{configFile: config, sslConf: []byte(pywinrmOpenSSLConf)} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pywinrmPython, script, configFile)
	cmd.Env = pywinrmEnv(dir, sslConf)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pywinrm: %v\nstderr:\n%s", err, stderr.Bytes())
	}
	var out struct{ Steps []pywinrmResult }
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out.Steps) != len(steps) {
		t.Fatalf("pywinrm output (%v): %s\nstderr:\n%s", err, stdout.Bytes(), stderr.Bytes())
	}
	return out.Steps
}

// pywinrmEnv is a hermetic environment for the python process: no proxies,
// no CA bundle overrides (REQUESTS_CA_BUNDLE would override
// server_cert_validation), no user files.
func pywinrmEnv(home, sslConf string) []string {
	drop := []string{"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "OPENSSL_CONF",
		"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "HOME"}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(drop, strings.ToUpper(name)) {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home, "OPENSSL_CONF="+sslConf, "NO_PROXY=127.0.0.1,localhost,::1", "PYTHONDONTWRITEBYTECODE=1")
}

// pywinrmRoundTrip are steps that exercise stdout, stderr, exit codes,
// arguments, PowerShell, stdin, non-ASCII and multi-envelope output.
var pywinrmRoundTrip = []pywinrmStep{
	{Kind: "cmd", Command: "echo out; echo err >&2; exit 3"},
	{Kind: "cmd", Command: "printf", Args: []string{"'%s-%s'", "a", "'b c'"}}, // joined with spaces, as Windows does
	{Kind: "ps", Script: "printf 'from powershell'"},
	{Kind: "stdin", Command: "cat", Stdin: bytes.Repeat([]byte("stdin line\n"), 2000), Chunk: 7000},
	{Kind: "cmd", Command: `printf 'h\303\251llo w\303\266rld'`},
	{Kind: "cmd", Command: "head -c 300000 /dev/zero | tr '\\0' x"},
}

// checkRoundTrip compares the results of pywinrmRoundTrip with what the
// commands print.
func checkRoundTrip(t *testing.T, got []pywinrmResult) {
	t.Helper()
	want := []pywinrmResult{
		{Stdout: []byte("out\n"), Stderr: []byte("err\n"), Code: 3},
		{Stdout: []byte("a-b c")},
		{Stdout: []byte("from powershell")},
		{Stdout: bytes.Repeat([]byte("stdin line\n"), 2000)},
		{Stdout: []byte("héllo wörld")},
		{Stdout: bytes.Repeat([]byte("x"), 300000)},
	}
	for i, w := range want {
		g := got[i]
		if g.Error != "" || !bytes.Equal(g.Stdout, w.Stdout) || !bytes.Equal(g.Stderr, w.Stderr) || g.Code != w.Code {
			t.Errorf("step %d (%+v):\n got stdout %q stderr %q code %d error %q\nwant stdout %q stderr %q code %d",
				i, pywinrmRoundTrip[i], clip(g.Stdout), g.Stderr, g.Code, g.Error, clip(w.Stdout), w.Stderr, w.Code)
		}
	}
}

func clip(b []byte) []byte {
	if len(b) > 80 {
		return append(b[:80:80], "..."...)
	}
	return b
}

// checkLog asserts every request that carried a SOAP operation was
// authenticated with auth (and sealed when sealed), and that every shell
// was deleted.
func checkLog(t *testing.T, srv *WSManServer, auth string, sealed bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range srv.Requests() {
		if r.Op == "" || r.Status == 401 {
			continue
		}
		seen[r.Op] = true
		if r.Auth != auth || r.Sealed != sealed {
			t.Errorf("request %+v: want auth %q, sealed %v", r, auth, sealed)
		}
	}
	for _, op := range wsmanOps {
		if !seen[op] {
			t.Errorf("pywinrm never sent %s", op)
		}
	}
	if n := srv.Shells(); n != 0 {
		t.Errorf("%d shells left open", n)
	}
}

func TestWSManPywinrmBasicHTTP(t *testing.T) {
	requirePywinrm(t)
	t.Parallel()
	srv := StartWSMan(t, WSManOptions{AllowUnencrypted: true})
	checkRoundTrip(t, runPywinrm(t, srv, srv.User, srv.Password, map[string]any{"transport": "basic"}, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthBasic, false)
	if got := srv.Signals(); len(got) == 0 || got[0] != "terminate" {
		t.Errorf("Signals() = %q: pywinrm terminates every command", got)
	}
}

func TestWSManPywinrmBasicRefusedOverHTTP(t *testing.T) {
	requirePywinrm(t)
	t.Parallel()
	srv := StartWSMan(t, WSManOptions{}) // Windows' default: AllowUnencrypted=false
	got := runPywinrm(t, srv, srv.User, srv.Password, map[string]any{"transport": "basic"}, pywinrmStep{Kind: "cmd", Command: "true"})
	if !strings.HasPrefix(got[0].Error, "InvalidCredentialsError") {
		t.Errorf("Basic over HTTP without AllowUnencrypted: %q, want InvalidCredentialsError as against Windows", got[0].Error)
	}
}

func TestWSManPywinrmHTTPS(t *testing.T) {
	requirePywinrm(t)
	t.Parallel()
	srv := StartWSMan(t, WSManOptions{HTTPS: true})
	session := map[string]any{"transport": "basic", "server_cert_validation": "validate", "ca_trust_path": srv.CACertFile}
	checkRoundTrip(t, runPywinrm(t, srv, srv.User, srv.Password, session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthBasic, false)

	delete(session, "ca_trust_path")
	got := runPywinrm(t, srv, srv.User, srv.Password, session, pywinrmStep{Kind: "cmd", Command: "true"})
	if !strings.Contains(got[0].Error, "CERTIFICATE_VERIFY_FAILED") {
		t.Errorf("validation without the CA: %q, want a certificate verification failure", got[0].Error)
	}
}

func TestWSManPywinrmCertificate(t *testing.T) {
	requirePywinrm(t)
	t.Parallel()
	srv := StartWSMan(t, WSManOptions{HTTPS: true, Auth: WSManAuthCertificate})
	session := map[string]any{
		"transport": "certificate", "cert_pem": srv.ClientCertFile, "cert_key_pem": srv.ClientKeyFile,
		"server_cert_validation": "validate", "ca_trust_path": srv.CACertFile,
	}
	checkRoundTrip(t, runPywinrm(t, srv, "", "", session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthCertificate, false)
}

func TestWSManPywinrmNTLMOverHTTPS(t *testing.T) {
	requirePywinrm(t)
	t.Parallel()
	srv := StartWSMan(t, WSManOptions{HTTPS: true, Auth: WSManAuthNTLM, Domain: "RCTEST"})
	// pywinrm binds the NTLM exchange to the TLS certificate (channel
	// binding), which the server verifies.
	session := map[string]any{"transport": "ntlm", "server_cert_validation": "validate", "ca_trust_path": srv.CACertFile}
	checkRoundTrip(t, runPywinrm(t, srv, srv.User, srv.Password, session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthNTLM, false)

	got := runPywinrm(t, srv, `rctest\`+srv.User, srv.Password, session, pywinrmStep{Kind: "cmd", Command: "echo domain"})
	if got[0].Error != "" || string(got[0].Stdout) != "domain\n" {
		t.Errorf("DOMAIN\\user: %+v", got[0])
	}
	got = runPywinrm(t, srv, srv.User, "wrong", session, pywinrmStep{Kind: "cmd", Command: "true"})
	if !strings.HasPrefix(got[0].Error, "InvalidCredentialsError") {
		t.Errorf("wrong password: %q, want InvalidCredentialsError", got[0].Error)
	}
}

func TestWSManPywinrmNTLMSealed(t *testing.T) {
	requirePywinrm(t)
	t.Parallel()
	srv := StartWSMan(t, WSManOptions{Seal: true})
	// message_encryption "auto" seals over HTTP, as against a default
	// Windows listener.
	session := map[string]any{"transport": "ntlm", "message_encryption": "auto"}
	checkRoundTrip(t, runPywinrm(t, srv, srv.User, srv.Password, session, pywinrmRoundTrip...))
	checkLog(t, srv, WSManAuthNTLM, true)

	session["message_encryption"] = "never"
	got := runPywinrm(t, srv, srv.User, srv.Password, session, pywinrmStep{Kind: "cmd", Command: "true"})
	if !strings.Contains(got[0].Error, "AllowUnencrypted") || !strings.Contains(got[0].Error, "'http_status_code': 500") {
		t.Errorf("unsealed NTLM over HTTP: %q, want the 500 access-denied fault", got[0].Error)
	}
}

func TestWSManPywinrmOperationTimeout(t *testing.T) {
	requirePywinrm(t)
	t.Parallel()
	srv := StartWSMan(t, WSManOptions{AllowUnencrypted: true})
	session := map[string]any{"transport": "basic", "operation_timeout_sec": 1, "read_timeout_sec": 10}
	got := runPywinrm(t, srv, srv.User, srv.Password, session, pywinrmStep{Kind: "cmd", Command: "sleep 2; echo late"})
	if got[0].Error != "" || string(got[0].Stdout) != "late\n" || got[0].Code != 0 {
		t.Fatalf("command outliving the OperationTimeout: %+v", got[0])
	}
	timedOut, receivedAfter := 0, false
	for _, r := range srv.Requests() {
		if r.Op != WSManOpReceive {
			continue
		}
		if r.Fault == faultCodeTimedOut {
			timedOut++
		} else if timedOut > 0 && r.Status == 200 {
			receivedAfter = true
		}
	}
	if timedOut == 0 || !receivedAfter {
		t.Errorf("want Receive timed out (fault %s) and pywinrm polling again; log: %+v", faultCodeTimedOut, srv.Requests())
	}
}
