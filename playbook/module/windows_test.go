package module

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
	"github.com/remotectl/remotectl/remote/winrm"
)

// winTestHost is a Windows host for module tests: the project's
// WS-Management server with its PowerShell simulator, reached over WinRM
// (NTLM with message encryption over HTTP, as a default listener).
type winTestHost struct {
	t    *testing.T
	sim  *remotetest.PowerShell
	tr   remote.Transport
	tgt  *remote.Target
	ctrl testController
}

func startWinTestHost(t *testing.T) *winTestHost { return startWinTestHostShell(t, "") }

// startWinTestHostShell is startWinTestHost with the WinRM shell the
// target asks for ("cmd", "powershell"; "" is the default, cmd).
func startWinTestHostShell(t *testing.T, shell string) *winTestHost {
	t.Helper()
	sim, err := remotetest.NewPowerShell(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := remotetest.StartWSMan(t, remotetest.WSManOptions{Seal: true, PowerShell: sim})
	https := false
	tgt := &remote.Target{Name: "win01", Address: s.Host, Port: s.Port, Transport: remote.KindWinRM, User: s.User,
		Password: s.Password, ConnectTimeout: 10 * time.Second, WinRM: remote.WinRMSettings{HTTPS: &https, Auth: "ntlm", Shell: shell}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tr, err := winrm.NewDialer(winrm.Options{}).Dial(ctx, *tgt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return &winTestHost{t: t, sim: sim, tr: tr, tgt: tgt, ctrl: testController{dir: t.TempDir()}}
}

// run runs a module on the host with raw arguments.
func (w *winTestHost) run(name string, raw map[string]any, check bool) Result {
	w.t.Helper()
	m, ok := Lookup(name)
	if !ok {
		w.t.Fatalf("no module %s", name)
	}
	args, err := m.Normalize(raw)
	if err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := m.Run(ctx, &Call{Module: m, Args: args, Host: NewHost(w.tr, w.tgt, Become{}, nil), Check: check, Controller: w.ctrl})
	if err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
	return res
}

// path is where a Windows path of the host lies in the simulator's tree.
func (w *winTestHost) path(win string) string { return w.sim.HostPath(win) }

// idempotent runs a task in check mode, for real, and again: the check
// predicts a change and makes none (unchanged reports the host's state),
// the first run changes, the second does not.
func (w *winTestHost) idempotent(name string, raw map[string]any, unchanged func() bool) (first, second Result) {
	w.t.Helper()
	check := w.run(name, raw, true)
	if !check.Changed() || check.IsFailed() {
		w.t.Fatalf("%s in check mode: %v, want a predicted change", name, check)
	}
	if !unchanged() {
		w.t.Fatalf("%s in check mode changed the host", name)
	}
	first = w.run(name, raw, false)
	if !first.Changed() || first.IsFailed() {
		w.t.Fatalf("%s: %v, want changed", name, first)
	}
	second = w.run(name, raw, false)
	if second.Changed() || second.IsFailed() {
		w.t.Fatalf("%s a second time: %v, want unchanged", name, second)
	}
	if again := w.run(name, raw, true); again.Changed() {
		w.t.Fatalf("%s in check mode after the change: %v, want unchanged", name, again)
	}
	return first, second
}

func winMissing(path string) func() bool {
	return func() bool { _, err := os.Lstat(path); return os.IsNotExist(err) }
}

func winSHA1(s string) string { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func TestWinPing(t *testing.T) {
	w := startWinTestHost(t)
	if r := w.run("ansible.windows.win_ping", nil, false); r["ping"] != "pong" || r.Changed() {
		t.Errorf("win_ping: %v, want ping: pong", r)
	}
	if r := w.run("win_ping", map[string]any{"data": "hi"}, false); r["ping"] != "hi" {
		t.Errorf("win_ping data=hi: %v", r)
	}
	if r := w.run("win_ping", map[string]any{"data": "crash"}, false); !r.IsFailed() || !strings.Contains(r["msg"].(string), "boom") {
		t.Errorf("win_ping data=crash: %v, want failed with boom", r)
	}
}

func TestWinFile(t *testing.T) {
	w := startWinTestHost(t)
	dir := `C:\app\conf\sub`
	w.idempotent("win_file", map[string]any{"path": dir, "state": "directory"}, winMissing(w.path(`C:\app`)))
	if fi, err := os.Stat(w.path(dir)); err != nil || !fi.IsDir() {
		t.Fatalf("C:\\app\\conf\\sub is no directory: %v", err)
	}
	if r := w.run("win_file", map[string]any{"path": `C:\app\conf\none.txt`, "state": "file"}, false); r["msg"] != `path C:\app\conf\none.txt will not be created` {
		t.Errorf("state=file on a missing path: %v", r)
	}
	if r := w.run("win_file", map[string]any{"path": `C:\app\conf\sub`, "state": "file"}, false); r["msg"] != `path C:\app\conf\sub is not a file` {
		t.Errorf("state=file on a directory: %v", r)
	}
	touched := `C:\app\conf\t.txt`
	if r := w.run("win_file", map[string]any{"path": touched, "state": "touch"}, false); !r.Changed() {
		t.Errorf("touch: %v", r)
	}
	if fi, err := os.Stat(w.path(touched)); err != nil || fi.Size() != 0 {
		t.Fatalf("touch did not create an empty file: %v", err)
	}
	if r := w.run("win_file", map[string]any{"path": touched, "state": "directory"}, false); r["msg"] != `path C:\app\conf\t.txt is not a directory` {
		t.Errorf("state=directory on a file: %v", r)
	}
	w.idempotent("win_file", map[string]any{"path": `c:\APP\conf`, "state": "absent"}, func() bool {
		_, err := os.Stat(w.path(dir))
		return err == nil
	})
	if _, err := os.Stat(filepath.Join(w.sim.Root, "app", "conf")); !os.IsNotExist(err) {
		t.Errorf("absent left C:\\app\\conf: %v", err)
	}
}

func TestWinCopyContentAndStat(t *testing.T) {
	w := startWinTestHost(t)
	if err := os.MkdirAll(w.path(`C:\app`), 0o755); err != nil {
		t.Fatal(err)
	}
	content := "hello\r\nworld\r\n"
	args := map[string]any{"content": content, "dest": `C:\app\a.txt`}
	first, second := w.idempotent("ansible.windows.win_copy", args, winMissing(w.path(`C:\app\a.txt`)))
	for _, r := range []Result{first, second} {
		if r["checksum"] != winSHA1(content) || r["size"] != int64(len(content)) || r["dest"] != `C:\app\a.txt` || r["operation"] != "file_copy" {
			t.Errorf("win_copy result: %v", r)
		}
	}
	if b, _ := os.ReadFile(w.path(`C:\app\a.txt`)); string(b) != content {
		t.Errorf("C:\\app\\a.txt holds %q", b)
	}
	// backup keeps the old content beside the file.
	r := w.run("win_copy", map[string]any{"content": "new", "dest": `C:\app\a.txt`, "backup": true}, false)
	bak, _ := r["backup_file"].(string)
	if !r.Changed() || !strings.HasPrefix(bak, `C:\app\a.txt.`) || !strings.HasSuffix(bak, ".bak") {
		t.Fatalf("backup: %v", r)
	}
	if b, _ := os.ReadFile(w.path(bak)); string(b) != content {
		t.Errorf("the backup holds %q", b)
	}
	// force: false leaves an existing file alone.
	if r := w.run("win_copy", map[string]any{"content": "other", "dest": `C:\app\a.txt`, "force": false}, false); r.Changed() {
		t.Errorf("force: false changed: %v", r)
	}
	if r := w.run("win_copy", map[string]any{"content": "x", "dest": `C:\nodir\a.txt`}, false); r["msg"] != `Destination directory 'C:\nodir' does not exist` {
		t.Errorf("missing parent: %v", r)
	}
	st := w.run("ansible.windows.win_stat", map[string]any{"path": `C:\app\a.txt`}, false)
	stat, _ := st["stat"].(map[string]any)
	if st.Changed() || stat["exists"] != true || stat["checksum"] != winSHA1("new") || stat["size"] != int64(3) ||
		stat["isreg"] != true || stat["isdir"] != false || stat["filename"] != "a.txt" || stat["extension"] != ".txt" ||
		stat["path"] != `C:\app\a.txt` || stat["owner"] != `BUILTIN\Administrators` || stat["isarchive"] != true {
		t.Errorf("win_stat: %v", st)
	}
	for _, k := range []string{"attributes", "creationtime", "lastaccesstime", "lastwritetime", "ishidden", "isreadonly", "islnk", "isjunction", "isshared"} {
		if _, ok := stat[k]; !ok {
			t.Errorf("win_stat lacks stat.%s: %v", k, stat)
		}
	}
	if mt, _ := stat["lastwritetime"].(float64); time.Since(time.Unix(int64(mt), 0)) > time.Hour {
		t.Errorf("lastwritetime %v is not now", stat["lastwritetime"])
	}
	// non-ASCII names and content travel as \u escapes in and base64 out
	if r := w.run("win_copy", map[string]any{"content": "héllo ✓ 😀", "dest": `C:\app\données.txt`}, false); !r.Changed() || r["dest"] != `C:\app\données.txt` {
		t.Errorf("win_copy to a non-ASCII name: %v", r)
	}
	if b, _ := os.ReadFile(filepath.Join(w.sim.Root, "app", "données.txt")); string(b) != "héllo ✓ 😀" {
		t.Errorf("C:\\app\\données.txt holds %q", b)
	}
	if st := w.run("win_stat", map[string]any{"path": `C:\APP\DONNÉES.TXT`}, false); st["stat"].(map[string]any)["path"] != `C:\app\données.txt` {
		t.Errorf("win_stat of a non-ASCII name: %v", st)
	}
	st = w.run("win_stat", map[string]any{"path": `C:\app`, "checksum_algorithm": "sha256"}, false)
	if stat := st["stat"].(map[string]any); stat["isshared"] != false || stat["isdir"] != true || stat["size"] != int64(3+len(content)+len("héllo ✓ 😀")) || stat["checksum"] != nil {
		t.Errorf("win_stat of a directory: %v", st)
	}
	if st := w.run("win_stat", map[string]any{"path": `C:\nothing`}, false); st["stat"].(map[string]any)["exists"] != false {
		t.Errorf("win_stat of nothing: %v", st)
	}
}

func TestWinCopySrcAndTemplate(t *testing.T) {
	w := startWinTestHost(t)
	local := w.ctrl.dir
	if err := os.MkdirAll(filepath.Join(local, "site", "css"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"b.conf": "b=1\n", "site/index.html": "<p>hi</p>\n", "site/css/a.css": "p{}\n", "t.j2": "line1\nline2\n"} {
		if err := os.WriteFile(filepath.Join(local, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// a file into a directory that does not exist yet (dest ends with \)
	r, _ := w.idempotent("win_copy", map[string]any{"src": "b.conf", "dest": `C:\etc\`}, winMissing(w.path(`C:\etc`)))
	if r["dest"] != `C:\etc\b.conf` || r["original_basename"] != "b.conf" || r["checksum"] != winSHA1("b=1\n") {
		t.Errorf("win_copy src: %v", r)
	}
	// a directory, itself under dest
	r, _ = w.idempotent("win_copy", map[string]any{"src": "site", "dest": `C:\www`}, winMissing(w.path(`C:\www`)))
	if r["operation"] != "folder_copy" {
		t.Errorf("win_copy src dir: %v", r)
	}
	if b, _ := os.ReadFile(w.path(`C:\www\site\css\a.css`)); string(b) != "p{}\n" {
		t.Errorf("C:\\www\\site\\css\\a.css holds %q", b)
	}
	// remote_src
	r, _ = w.idempotent("win_copy", map[string]any{"src": `C:\etc\b.conf`, "dest": `C:\etc\c.conf`, "remote_src": true}, winMissing(w.path(`C:\etc\c.conf`)))
	if r["checksum"] != winSHA1("b=1\n") {
		t.Errorf("win_copy remote_src: %v", r)
	}
	// win_template writes CRLF line ends by default
	r, _ = w.idempotent("ansible.windows.win_template", map[string]any{"src": "t.j2", "dest": `C:\etc\t.txt`}, winMissing(w.path(`C:\etc\t.txt`)))
	if b, _ := os.ReadFile(w.path(`C:\etc\t.txt`)); string(b) != "line1\r\nline2\r\n" || r["checksum"] != winSHA1(string(b)) {
		t.Errorf("win_template wrote %q: %v", b, r)
	}
}

func TestWinService(t *testing.T) {
	w := startWinTestHost(t)
	state := func() string { s, _ := w.sim.Service("W32Time"); return s.State + "/" + s.StartMode }
	r, _ := w.idempotent("win_service", map[string]any{"name": "w32time", "state": "started", "start_mode": "auto"},
		func() bool { return state() == "Stopped/Manual" })
	if state() != "Running/Auto" {
		t.Errorf("W32Time is %s, want Running/Auto", state())
	}
	for k, want := range map[string]any{"exists": true, "name": "W32Time", "display_name": "Windows Time", "state": "running",
		"start_mode": "auto", "username": `NT AUTHORITY\LocalService`, "can_pause_and_continue": false, "desktop_interact": false} {
		if r[k] != want {
			t.Errorf("win_service %s: %v, want %v (%v)", k, r[k], want, r)
		}
	}
	for _, k := range []string{"path", "description", "dependencies", "depended_by"} {
		if _, ok := r[k]; !ok {
			t.Errorf("win_service lacks %s: %v", k, r)
		}
	}
	// a service others depend on stops only with force_dependent_services
	if r := w.run("win_service", map[string]any{"name": "LanmanWorkstation", "state": "stopped"}, false); !r.IsFailed() ||
		!strings.Contains(r["msg"].(string), "dependent services") {
		t.Errorf("stopping a service with running dependents: %v", r)
	}
	r = w.run("win_service", map[string]any{"name": "LanmanWorkstation", "state": "stopped", "force_dependent_services": true}, false)
	if s, _ := w.sim.Service("LanmanServer"); !r.Changed() || s.State != "Stopped" || r["state"] != "stopped" {
		t.Errorf("forced stop: %v; LanmanServer %s", r, s.State)
	}
	if deps, _ := r["depended_by"].([]any); len(deps) != 1 || deps[0] != "LanmanServer" {
		t.Errorf("depended_by: %v", r["depended_by"])
	}
	if r := w.run("win_service", map[string]any{"name": "Spooler", "state": "restarted"}, false); !r.Changed() || r["state"] != "running" {
		t.Errorf("restarted: %v", r)
	}
	if r := w.run("win_service", map[string]any{"name": "nosuch"}, false); r["exists"] != false || r.IsFailed() {
		t.Errorf("query of a missing service: %v", r)
	}
	if r := w.run("win_service", map[string]any{"name": "nosuch", "state": "started"}, false); !r.IsFailed() {
		t.Errorf("starting a missing service: %v", r)
	}
	w.idempotent("win_service", map[string]any{"name": "Spooler", "start_mode": "disabled", "state": "stopped", "description": "off"},
		func() bool { s, _ := w.sim.Service("Spooler"); return s.StartMode == "Auto" })
	if r := w.run("win_service", map[string]any{"name": "Spooler", "state": "started"}, false); !r.IsFailed() {
		t.Errorf("starting a disabled service: %v", r)
	}
}

func TestWinCommandAndShell(t *testing.T) {
	w := startWinTestHost(t)
	r := w.run("ansible.windows.win_shell", map[string]any{"_raw_params": "Write-Output \"hi $env:COMPUTERNAME\"; New-Item -Path C:\\made -ItemType Directory | Out-Null"}, false)
	if !r.Changed() || r["rc"] != 0 || strings.TrimSpace(r["stdout"].(string)) != "hi RCTEST-WIN" {
		t.Errorf("win_shell: %v", r)
	}
	for _, k := range []string{"cmd", "start", "end", "delta", "stderr"} {
		if _, ok := r[k]; !ok {
			t.Errorf("win_shell lacks %s: %v", k, r)
		}
	}
	if r := w.run("win_shell", map[string]any{"_raw_params": "exit 3"}, false); r["rc"] != 3 || r["msg"] != "non-zero return code" || !r.IsFailed() {
		t.Errorf("win_shell exit 3: %v", r)
	}
	if r := w.run("win_shell", map[string]any{"_raw_params": "Get-Location", "chdir": `C:\made`}, false); strings.TrimSpace(r["stdout"].(string)) != `C:\made` {
		t.Errorf("win_shell chdir: %v", r)
	}
	if r := w.run("win_shell", map[string]any{"_raw_params": "exit 1", "creates": `C:\made`}, false); r["skipped"] != true || r.Changed() || r["msg"] != `skipped, since C:\made exists` {
		t.Errorf("win_shell creates: %v", r)
	}
	if r := w.run("win_command", map[string]any{"_raw_params": "whoami", "removes": `C:\nothing`}, false); r["skipped"] != true || r["msg"] != `skipped, since C:\nothing does not exist` {
		t.Errorf("win_command removes: %v", r)
	}
	// The test server runs command lines that are not PowerShell with
	// /bin/sh, as WinRM runs them with cmd.exe.
	if r := w.run("win_command", map[string]any{"_raw_params": "echo hello"}, false); r["rc"] != 0 || strings.TrimSpace(r["stdout"].(string)) != "hello" || r["cmd"] != "echo hello" {
		t.Errorf("win_command: %v", r)
	}
}

func TestWinReboot(t *testing.T) {
	w := startWinTestHost(t)
	if r := w.run("win_reboot", nil, true); !r.Changed() || r["rebooted"] != true || w.sim.Reboots() != 0 {
		t.Errorf("win_reboot in check mode: %v (reboots %d)", r, w.sim.Reboots())
	}
	if err := os.MkdirAll(w.path(`C:\x`), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := w.run("win_service", map[string]any{"name": "W32Time", "state": "started"}, false); !r.Changed() {
		t.Fatalf("starting W32Time: %v", r)
	}
	r := w.run("ansible.windows.win_reboot", map[string]any{"pre_reboot_delay": 0}, false)
	if !r.Changed() || r["rebooted"] != true || r.IsFailed() || w.sim.Reboots() != 1 {
		t.Fatalf("win_reboot: %v (reboots %d)", r, w.sim.Reboots())
	}
	if _, ok := r["elapsed"].(float64); !ok {
		t.Errorf("win_reboot elapsed: %v", r)
	}
	if s, _ := w.sim.Service("W32Time"); s.State != "Stopped" {
		t.Errorf("a manual service is %s after the reboot, want Stopped", s.State)
	}
}

func TestWinSetup(t *testing.T) {
	w := startWinTestHost(t)
	r := w.run("setup", nil, true)
	facts, _ := r["ansible_facts"].(map[string]any)
	for k, want := range map[string]any{"ansible_os_family": "Windows", "ansible_system": "Win32NT", "ansible_hostname": "RCTEST-WIN",
		"ansible_distribution": "Microsoft Windows Server 2022 Datacenter", "ansible_distribution_major_version": "10",
		"ansible_os_product_type": "server", "ansible_architecture": "64-bit", "ansible_user_id": "rctest-win", "ansible_powershell_version": 5} {
		if facts[k] != want {
			t.Errorf("%s: %v, want %v", k, facts[k], want)
		}
	}
	if up, _ := facts["ansible_uptime_seconds"].(int64); up < 3500 || up > 4000 {
		t.Errorf("ansible_uptime_seconds: %v, want about an hour", facts["ansible_uptime_seconds"])
	}
	if r := w.run("setup", map[string]any{"gather_subset": []any{"network"}}, true); !r.IsFailed() {
		t.Errorf("gather_subset network: %v, want a refusal", r)
	}
	r = w.run("setup", map[string]any{"filter": []any{"ansible_os_*"}}, true)
	if facts := r["ansible_facts"].(map[string]any); len(facts) != 3 || facts["ansible_os_family"] != "Windows" {
		t.Errorf("filter ansible_os_*: %v", facts)
	}
}

// TestWinBootstrapFitsTheCommandLine checks the bootstrap, encoded, fits
// cmd.exe's 8191-character command line even when a PowerShell WinRM
// shell encodes it a second time (module scripts travel on standard input).
func TestWinBootstrapFitsTheCommandLine(t *testing.T) {
	line := psCommandLine(psBootstrap)
	if n := len(psCommandLine("$ProgressPreference = 'SilentlyContinue';" + line)); n > 8191 {
		t.Errorf("the bootstrap's command line, encoded twice, is %d characters long, more than cmd.exe's 8191", n)
	}
}

func TestWinCopyRefusesVaultFiles(t *testing.T) {
	w := startWinTestHost(t)
	vault := "$ANSIBLE_VAULT;1.1;AES256\n6162\n"
	if err := os.WriteFile(filepath.Join(w.ctrl.dir, "secret.txt"), []byte(vault), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := w.run("win_copy", map[string]any{"src": "secret.txt", "dest": `C:\secret.txt`}, false); !r.IsFailed() ||
		!strings.Contains(r["msg"].(string), "encrypted with Ansible Vault") {
		t.Errorf("a vault file: %v, want a refusal", r)
	}
	if r := w.run("win_copy", map[string]any{"src": "secret.txt", "dest": `C:\secret.txt`, "decrypt": false}, false); !r.Changed() {
		t.Errorf("decrypt: false: %v", r)
	}
	if b, _ := os.ReadFile(w.path(`C:\secret.txt`)); string(b) != vault {
		t.Errorf("decrypt: false wrote %q", b)
	}
}

// TestWinSplitCommandLine follows the examples of Microsoft's "Parsing C++
// command-line arguments".
func TestWinSplitCommandLine(t *testing.T) {
	for line, want := range map[string][]string{
		`"a b c" d e`:                     {"a b c", "d", "e"},
		`prog "ab\"c" "\\" d`:             {"prog", `ab"c`, `\`, "d"},
		`prog a\\\b d"e f"g h`:            {"prog", `a\\\b`, "de fg", "h"},
		`prog a\\\"b c d`:                 {"prog", `a\"b`, "c", "d"},
		`prog a\\\\"b c" d e`:             {"prog", `a\\b c`, "d", "e"},
		`prog a"b"" c d`:                  {"prog", `ab" c d`},
		`"C:\Program Files\x.exe" /c a&b`: {`C:\Program Files\x.exe`, "/c", "a&b"},
		`C:\Windows\System32\whoami.exe`:  {`C:\Windows\System32\whoami.exe`},
		`  whoami   /all  `:               {"whoami", "/all"},
	} {
		if got := winSplitCommandLine(line); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", line, got, want)
		}
	}
}

// TestWinModulesInAPowerShellShell: with winrm_shell: powershell, the
// transport wraps each command line in PowerShell, which starts
// powershell.exe, whose standard input is inherited.
func TestWinModulesInAPowerShellShell(t *testing.T) {
	w := startWinTestHostShell(t, "powershell")
	if r := w.run("win_ping", nil, false); r["ping"] != "pong" {
		t.Errorf("win_ping: %v", r)
	}
	w.idempotent("win_copy", map[string]any{"content": "x", "dest": `C:\x.txt`}, winMissing(w.path(`C:\x.txt`)))
}

func TestPSErrorTextReadsCLIXML(t *testing.T) {
	stderr := "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">Cannot find path &apos;C:\\x&apos;_x000D__x000A_</S><S S=\"Error\">    + CategoryInfo_x000D__x000A_</S></Objs>"
	if got := psErrorText(stderr); got != "Cannot find path 'C:\\x'\r\n    + CategoryInfo\r\n" {
		t.Errorf("psErrorText: %q", got)
	}
	if got := (&psError{RC: 1, Stderr: stderr}).Error(); got != "the PowerShell script failed (exit code 1): Cannot find path 'C:\\x'" {
		t.Errorf("psError: %q", got)
	}
}

func TestWinServiceCreateChangeRemove(t *testing.T) {
	w := startWinTestHost(t)
	exists := func() bool { _, ok := w.sim.Service("rctl"); return ok }
	args := map[string]any{"name": "rctl", "path": `C:\rctl\rctl.exe`, "display_name": "Remotectl test", "description": "a test", "state": "started"}
	r, _ := w.idempotent("win_service", args, func() bool { return !exists() })
	s, _ := w.sim.Service("rctl")
	if s.State != "Running" || s.StartMode != "Auto" || s.Path != `C:\rctl\rctl.exe` || s.DisplayName != "Remotectl test" || s.Description != "a test" {
		t.Errorf("created service: %+v", s)
	}
	if r["exists"] != true || r["username"] != "LocalSystem" || r["start_mode"] != "auto" || r["state"] != "running" {
		t.Errorf("win_service create: %v", r)
	}
	args["path"] = `C:\rctl\v2.exe`
	if r := w.run("win_service", args, false); !r.Changed() || r["path"] != `C:\rctl\v2.exe` {
		t.Errorf("new path: %v", r)
	}
	if r := w.run("win_service", map[string]any{"name": "rctl", "state": "stopped", "path": `C:\rctl\v2.exe`}, false); !r.Changed() || r["state"] != "stopped" {
		t.Errorf("stop with the same path: %v", r)
	}
	w.idempotent("win_service", map[string]any{"name": "rctl", "state": "absent"}, exists)
	if r := w.run("win_service", map[string]any{"name": "rctl", "state": "absent"}, false); r.Changed() || r["exists"] != false {
		t.Errorf("absent again: %v", r)
	}
}
