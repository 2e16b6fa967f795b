package main

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote/remotetest"
)

// winPlaybook uses every ansible.windows module remotectl implements; each
// result is registered and printed (debug) so the test reads its keys.
const winPlaybook = `- hosts: windows
  gather_facts: true
  tasks:
    - name: facts
      debug: {msg: "{{ ansible_os_family }} {{ ansible_distribution_major_version }}"}
    - name: ping
      ansible.windows.win_ping:
    - name: dir
      win_file: {path: 'C:\app\conf', state: directory}
    - name: content
      ansible.windows.win_copy: {content: "hello\r\n", dest: 'C:\app\conf\a.txt'}
      register: content
    - name: show content
      debug: {msg: "{{ content.checksum }} {{ content.size }} {{ content.operation }}"}
    - name: file
      win_copy: {src: app.conf, dest: 'C:\app\conf\'}
    - name: folder
      win_copy: {src: site, dest: 'C:\app'}
    - name: template
      win_template: {src: app.ini.j2, dest: 'C:\app\conf\app.ini'}
    - name: stat
      win_stat: {path: 'C:\app\conf\app.ini'}
      register: st
    - name: show stat
      debug: {msg: "{{ st.stat.exists }} {{ st.stat.size | default('-') }} {{ st.stat.checksum | default('-') }}"}
    - name: service
      win_service: {name: W32Time, state: started, start_mode: auto}
      register: svc
    - name: show service
      debug: {msg: "{{ svc.state }} {{ svc.start_mode }} {{ svc.display_name }}"}
    - name: shell
      win_shell: Set-Content -Path C:\app\shell.txt -Value done; Write-Output ran
      args: {creates: 'C:\app\shell.txt'}
    - name: command
      win_command: echo hello
      args: {removes: 'C:\app\shell.txt'}
    - name: reboot
      ansible.windows.win_reboot: {pre_reboot_delay: 0}
      register: rb
    - name: show reboot
      debug: {msg: "{{ rb.rebooted }}"}
`

// winPlayRun is a run of winPlaybook: each task's status and message.
type winPlayRun map[string]struct{ status, msg string }

func TestPlayWindowsModules(t *testing.T) {
	sim, err := remotetest.NewPowerShell(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	win := remotetest.StartWSMan(t, remotetest.WSManOptions{Seal: true, PowerShell: sim})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "inventory.ini"), fmt.Sprintf("[windows]\nwin01 ansible_host=%s ansible_port=%d\n\n[windows:vars]\n"+
		"ansible_connection=winrm\nansible_user=%s\nansible_password=%s\nansible_winrm_scheme=http\nansible_winrm_transport=ntlm\n",
		win.Host, win.Port, win.User, win.Password))
	writeFile(t, filepath.Join(dir, "site.yml"), winPlaybook)
	for _, sub := range []string{"files/site", "templates"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "files", "app.conf"), "port=80\n")
	writeFile(t, filepath.Join(dir, "files", "site", "index.html"), "<p>hi</p>\n")
	writeFile(t, filepath.Join(dir, "templates", "app.ini.j2"), "[app]\nhost={{ inventory_hostname }}\n")
	play := func(extra ...string) winPlayRun {
		t.Helper()
		args := append([]string{"play", "-i", filepath.Join(dir, "inventory.ini"), "-o", "json"}, extra...)
		stdout, stderr, code := runForTest(t, append(args, filepath.Join(dir, "site.yml"))...)
		if code != 0 {
			t.Fatalf("remotectl %v: exit %d\nstdout:\n%s\nstderr:\n%s", extra, code, stdout, stderr)
		}
		var doc struct {
			Results []struct {
				Task   string `json:"task"`
				Status string `json:"status"`
				Msg    string `json:"msg"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("stdout is no JSON document: %v\n%s", err, stdout)
		}
		run := winPlayRun{}
		for _, r := range doc.Results {
			run[r.Task] = struct{ status, msg string }{r.Status, r.Msg}
		}
		return run
	}
	changing := []string{"dir", "content", "file", "folder", "template", "service", "shell"}
	check := play("--check")
	if check["shell"].status != "skipped" {
		t.Errorf("check mode: shell is %q, want skipped (win_shell does not support check mode)", check["shell"].status)
	}
	for _, task := range changing[:len(changing)-1] {
		if check[task].status != "changed" {
			t.Errorf("check mode: %s is %q, want changed", task, check[task].status)
		}
	}
	if _, err := os.Stat(filepath.Join(sim.Root, "app")); !os.IsNotExist(err) || sim.Reboots() != 0 {
		t.Errorf("check mode created C:\\app (%v) or rebooted (%d)", err, sim.Reboots())
	}
	if check["reboot"].status != "changed" {
		t.Errorf("check mode: reboot is %q, want changed", check["reboot"].status)
	}
	first := play()
	for _, task := range changing {
		if first[task].status != "changed" {
			t.Errorf("first run: %s is %q, want changed", task, first[task].status)
		}
	}
	for task, want := range map[string]string{
		"facts":        "Windows 10",
		"show content": fmt.Sprintf("%x 7 file_copy", sha1.Sum([]byte("hello\r\n"))),
		"show service": "running auto Windows Time",
	} {
		if first[task].msg != want {
			t.Errorf("first run: %s says %q, want %q", task, first[task].msg, want)
		}
	}
	for _, task := range []string{"command", "reboot"} {
		if first[task].status != "changed" {
			t.Errorf("first run: %s is %q, want changed", task, first[task].status)
		}
	}
	if first["show reboot"].msg != "True" || sim.Reboots() != 1 {
		t.Errorf("first run: rebooted %q, %d reboots, want True and 1", first["show reboot"].msg, sim.Reboots())
	}
	ini, _ := os.ReadFile(sim.HostPath(`C:\app\conf\app.ini`))
	if string(ini) != "[app]\r\nhost=win01\r\n" {
		t.Errorf("C:\\app\\conf\\app.ini holds %q", ini)
	}
	if want := fmt.Sprintf("True %d ", len(ini)); !strings.HasPrefix(first["show stat"].msg, want) {
		t.Errorf("show stat says %q, want it to start with %q", first["show stat"].msg, want)
	}
	for _, f := range []string{`C:\app\conf\app.conf`, `C:\app\site\index.html`, `C:\app\shell.txt`} {
		if _, err := os.Stat(sim.HostPath(f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	second := play()
	for _, task := range changing {
		if second[task].status != "ok" && second[task].status != "skipped" {
			t.Errorf("second run: %s is %q, want ok", task, second[task].status)
		}
	}
	if second["shell"].status != "skipped" && second["shell"].status != "ok" {
		t.Errorf("second run: shell is %q, want skipped (creates)", second["shell"].status)
	}
}

func TestPlayWindowsRefusals(t *testing.T) {
	dir := t.TempDir()
	// Port 9 on loopback: nothing may be dialled before the refusal.
	writeFile(t, filepath.Join(dir, "inventory.ini"), "[windows]\nwin01 ansible_host=127.0.0.1 ansible_port=9 ansible_connection=winrm ansible_password=x\n")
	for name, tc := range map[string]struct{ task, want string }{
		"posix module on winrm": {"copy: {content: x, dest: /tmp/x}", "the module ansible.builtin.copy runs on POSIX hosts, and this host is Windows"},
		"unimplemented win_":    {"ansible.windows.win_user: {name: bob}", "the module ansible.windows.win_user is in ansible.windows"},
		"unsupported parameter": {"win_service: {name: x, username: bob}", `unsupported parameter "username" for the module win_service`},
	} {
		t.Run(name, func(t *testing.T) {
			pb := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yml")
			writeFile(t, pb, "- hosts: windows\n  gather_facts: false\n  tasks:\n    - "+tc.task+"\n")
			stdout, stderr, code := runForTest(t, "play", "-i", filepath.Join(dir, "inventory.ini"), pb)
			if code == 0 || !strings.Contains(stderr+stdout, tc.want) {
				t.Errorf("exit %d, want a refusal saying %q\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
			if strings.Contains(stdout, "TASK [") {
				t.Errorf("the play ran:\n%s", stdout)
			}
		})
	}
}
