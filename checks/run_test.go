package checks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// probe reads a captured probe output from testdata/probes.
func probe(t testing.TB, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "probes", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// debianHost fakes a Debian host from captured outputs.
func debianHost(t testing.TB) *fakeHost {
	return newFakeHost(remote.OSLinux, map[string]probeReply{
		posixCall("_net", "tcp"):                                         {out: probe(t, "proc_net_tcp.txt")},
		posixCall("_net", "tcp6"):                                        {out: probe(t, "proc_net_tcp6.txt")},
		posixCall("_net", "udp"):                                         {out: probe(t, "proc_net_udp.txt")},
		posixCall("_svc", "ssh"):                                         {out: probe(t, "svc_systemd_ssh.txt")},
		posixCall("_svc", "nosuch"):                                      {out: probe(t, "svc_systemd_missing.txt")},
		posixCall("_ps"):                                                 {out: probe(t, "ps_comm.txt")},
		posixCall("_pkg", "openssh-server"):                              {out: probe(t, "pkg_dpkg_openssh.txt")},
		posixCall("_pkg", "nosuchpkg"):                                   {out: probe(t, "pkg_dpkg_missing.txt")},
		posixCall("_stat", "/etc/passwd"):                                {out: probe(t, "stat_file.txt")},
		posixCall("_stat", "/nonexistent"):                               {out: probe(t, "stat_missing.txt")},
		posixCall("_sum", "sha256", "/etc/passwd"):                       {out: probe(t, "sum_sha256.txt")},
		posixCall("_cat", "/etc/passwd"):                                 {out: "root:x:0:0:root:/root:/bin/bash\n"},
		posixCall("_getent", "passwd", "root"):                           {out: probe(t, "getent_passwd_root.txt")},
		posixCall("_idgroups", "root"):                                   {out: probe(t, "idgroups_root.txt")},
		posixCall("_getent", "group", "sudo"):                            {out: probe(t, "getent_group_sudo.txt")},
		posixCall("_sysctl", "net.core.somaxconn", "net/core/somaxconn"): {out: probe(t, "sysctl_somaxconn.txt")},
		posixCall("_sysctl", "no.such", "no/such"):                       {stderr: "sysctl: cannot stat /proc/sys/no/such: No such file or directory", code: 255},
		posixCall("_mounts"):                                             {out: probe(t, "mountinfo.txt")},
		posixCall("_df", "/"):                                            {out: probe(t, "df_root.txt")},
		posixCall("_ahosts", "ahosts", "localhost"):                      {out: probe(t, "ahosts_localhost.txt")},
		posixCall("_iface", "lo"):                                        {out: probe(t, "iface_lo.txt")},
		posixCall("_iface", "eth9"):                                      {out: probe(t, "iface_missing.txt")},
	})
}

const debianChecks = `
port:
  tcp:48022: {listening: true, ip: [0.0.0.0]}
  tcp:48080: {listening: true, ip: [0.0.0.0]}
  tcp6:48443: {listening: true, ip: ["::1"]}
  tcp:9: {listening: true, ip: [0.0.0.0]}
  udp:48053: {listening: true}
service:
  ssh: {enabled: true, running: true}
  nosuch: {running: false, runlevels: [default]}
process:
  bash: {running: true}
  nginx: {running: false}
package:
  openssh-server: {installed: true, versions: [{have-prefix: "1:9."}]}
  nosuchpkg: {installed: true, versions: ["1.0"]}
file:
  /etc/passwd: {exists: true, mode: "0644", owner: root, size: {gt: 0}, sha256: 427f93cafd9cc19be6eec03e590c9c6cdf9f688a5eaf21fa8d72351e2b15fd05, contents: ["/^root:/"]}
  /nonexistent: {exists: false, mode: "0600"}
user:
  root: {exists: true, uid: 0, groups: [root], shell: /bin/bash}
group:
  sudo: {exists: true, gid: 27}
kernel-param:
  net.core.somaxconn: {value: {ge: 1024}}
  no.such: {value: "1"}
mount:
  /: {exists: true, filesystem: ext4, usage: {lt: 90}, vfs-opts: [discard]}
dns:
  localhost: {from: host, resolvable: true, addrs: [127.0.0.1]}
`

func TestRunGathersInOneRoundTrip(t *testing.T) {
	host := debianHost(t)
	results := Run(context.Background(), host.exec(), HostInfo{Name: "deb1"}, mustParse(t, debianChecks), RunOptions{})

	want := []string{
		"port tcp:48022 listening pass", "port tcp:48022 ip pass",
		"port tcp:48080 listening pass", "port tcp:48080 ip fail",
		"port tcp6:48443 listening pass", "port tcp6:48443 ip pass",
		"port tcp:9 listening fail", "port tcp:9 ip skip",
		"port udp:48053 listening pass",
		"service ssh enabled pass", "service ssh running pass",
		"service nosuch running pass", "service nosuch runlevels fail", // systemd: none, as goss says
		"process bash running pass", "process nginx running pass",
		"package openssh-server installed pass", "package openssh-server versions pass",
		"package nosuchpkg installed fail", "package nosuchpkg versions skip",
		"file /etc/passwd exists pass", "file /etc/passwd mode pass", "file /etc/passwd owner pass",
		"file /etc/passwd size pass", "file /etc/passwd sha256 pass", "file /etc/passwd contents pass",
		"file /nonexistent exists pass", "file /nonexistent mode skip",
		"user root exists pass", "user root uid pass", "user root groups pass", "user root shell pass",
		"group sudo exists pass", "group sudo gid pass",
		"kernel-param net.core.somaxconn value pass", "kernel-param no.such value error",
		"mount / exists pass", "mount / filesystem pass", "mount / vfs-opts pass", "mount / usage pass",
		"dns localhost resolvable pass", "dns localhost addrs pass",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results:\n got %q\nwant %q", got, want)
	}
	if host.gathers != 1 {
		t.Errorf("%d gather round trips, want 1", host.gathers)
	}
	// Each observation is made once, however many checks need it.
	seen := make(map[string]bool)
	for _, code := range host.asked {
		if seen[code] {
			t.Errorf("probe %s asked twice", code)
		}
		seen[code] = true
	}

	r := find(t, results, "tcp:48080", "ip")
	if r.Expected != "[0.0.0.0]" || r.Actual != "[127.0.0.1]" || r.Host != "deb1" || r.Vantage != FromHost || r.Pos != "checks.yaml:4:3" {
		t.Errorf("ip result = %+v", r)
	}
	if r := find(t, results, "tcp:9", "listening"); r.Actual != "false" {
		t.Errorf("listening result = %+v", r)
	}
	if r := find(t, results, "tcp:9", "ip"); r.Message != "nothing listens on tcp:9" {
		t.Errorf("skipped ip = %+v", r)
	}
	if r := find(t, results, "nosuch", "runlevels"); !strings.Contains(r.Message, "only known on SysV init and OpenRC") {
		t.Errorf("runlevels on systemd = %+v", r)
	}
	if r := find(t, results, "no.such", "value"); !strings.HasPrefix(r.Message, "no such kernel parameter: sysctl: cannot stat") {
		t.Errorf("missing kernel parameter = %+v", r)
	}
}

func TestRunProbeFailuresAreErrors(t *testing.T) {
	checks := mustParse(t, `
package:
  nginx: {installed: true}
port:
  tcp:22: {listening: true}
command:
  "true": {exit-status: 0}
`)
	t.Run("one probe", func(t *testing.T) {
		host := newFakeHost(remote.OSLinux, map[string]probeReply{
			posixCall("_pkg", "nginx"): {stderr: "no package manager found (dpkg, rpm or apk)", code: 1},
			posixCall("_net", "tcp"):   {out: probe(t, "proc_net_tcp.txt")},
		})
		results := Run(context.Background(), host.exec(), HostInfo{Name: "h"}, checks, RunOptions{})
		want := []string{"package nginx installed error", "port tcp:22 listening fail", "command true exit-status fail"}
		if got := summary(results); !reflect.DeepEqual(got, want) {
			t.Errorf("results = %q, want %q", got, want)
		}
		if msg := results[0].Message; msg != "querying the package manager: no package manager found (dpkg, rpm or apk)" {
			t.Errorf("message = %q", msg)
		}
	})
	t.Run("lost connection", func(t *testing.T) {
		lost := &fakeExec{os: remote.OSLinux, run: func(context.Context, *remote.Cmd) (remote.Result, error) {
			return remote.Result{}, remote.Errorf(remote.ClassLost, "run", "connection reset")
		}}
		results := Run(context.Background(), lost, HostInfo{Name: "h"}, checks, RunOptions{})
		for _, r := range results {
			if r.Status != Error {
				t.Errorf("%s %s = %s, want error", r.ID, r.Property, r.Status)
			}
		}
		if want := "the probe script could not run: lost: run: connection reset"; results[0].Message != want {
			t.Errorf("message = %q, want %q", results[0].Message, want)
		}
		if want := "the command could not run: lost: run: connection reset"; results[2].Message != want {
			t.Errorf("message = %q, want %q", results[2].Message, want)
		}
	})
	t.Run("no connection", func(t *testing.T) {
		results := Run(context.Background(), nil, HostInfo{Name: "h"}, checks, RunOptions{})
		for _, r := range results {
			if r.Status != Error || r.Message != "no connection to the host" {
				t.Errorf("%+v", r)
			}
		}
	})
}

func TestRunSkip(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{})
	results := Run(context.Background(), host.exec(), HostInfo{Name: "h"}, mustParse(t, `
port:
  tcp:22: {listening: true, ip: [0.0.0.0], skip: true}
command:
  reboot: {exit-status: 0, skip: true}
`), RunOptions{})
	want := []string{"port tcp:22 listening skip", "port tcp:22 ip skip", "command reboot exit-status skip"}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	if host.gathers != 0 || len(host.ran) != 0 {
		t.Errorf("skipped checks ran: %d gathers, commands %q", host.gathers, host.ran)
	}
}

func TestRunCommands(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{})
	host.commands["app --version"] = func(_ context.Context, cmd *remote.Cmd) (remote.Result, error) {
		writeAll(t, cmd.Stdout, "app 2.4.1\nbuilt today\n")
		writeAll(t, cmd.Stderr, "warning: old config\n")
		return remote.Result{ExitCode: 0}, nil
	}
	host.commands["sleep 100"] = func(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
		writeAll(t, cmd.Stdout, "partial\n")
		<-ctx.Done()
		return remote.Result{}, &remote.Error{Class: remote.ClassTimeout, Op: "run", Err: ctx.Err()}
	}
	results := Run(context.Background(), host.exec(), HostInfo{Name: "h"}, mustParse(t, `
command:
  app --version:
    exit-status: 0
    stdout: ["/^app 2\\./", "!error"]
    stderr: {contain-element: {have-prefix: "warning:"}}
  sleep 100:
    exit-status: 0
    stdout: [done]
    timeout: 50
`), RunOptions{})
	want := []string{
		"command app --version exit-status pass", "command app --version stdout pass", "command app --version stderr pass",
		"command sleep 100 exit-status error", "command sleep 100 stdout error", // goss: a timeout is an error
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	if r := results[3]; r.Message != "the command did not finish within 50ms" {
		t.Errorf("timed-out command = %+v", r)
	}
	if host.gathers != 0 {
		t.Errorf("%d gathers for command checks only", host.gathers)
	}
}

func TestRunRetriesUntilPass(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{
		posixCall("_net", "tcp"): {out: "  sl  local_address rem_address   st\n"},
		posixCall("_ps"):         {out: "bash\n"},
	})
	checks := mustParse(t, `
port:
  tcp:48022: {listening: true}
process:
  bash: {running: true}
`)
	// The port starts listening after the second gather.
	var gathers int
	exec := &fakeExec{os: remote.OSLinux, run: func(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
		gathers++
		if gathers == 3 {
			host.setProbe(posixCall("_net", "tcp"), probeReply{out: probe(t, "proc_net_tcp.txt")})
		}
		return host.run(ctx, cmd)
	}}
	results := Run(context.Background(), exec, HostInfo{Name: "h"}, checks, RunOptions{RetryTimeout: time.Minute, Sleep: time.Millisecond})
	want := []string{"port tcp:48022 listening pass", "process bash running pass"}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	if gathers != 3 {
		t.Errorf("%d gathers, want 3", gathers)
	}
	// Only the failing check is observed again.
	if n := strings.Count(strings.Join(host.asked, "\n"), "_ps"); n != 1 {
		t.Errorf("the passing process check was observed %d times", n)
	}

	// Without a retry timeout, one attempt.
	gathers = 0
	host.setProbe(posixCall("_net", "tcp"), probeReply{out: "  sl  local_address rem_address   st\n"})
	results = Run(context.Background(), exec, HostInfo{Name: "h"}, checks, RunOptions{})
	if results[0].Status != Fail || gathers != 1 {
		t.Errorf("no retry: %v after %d gathers", summary(results), gathers)
	}
}

func TestRunRetryStopsWithContext(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{posixCall("_net", "tcp"): {out: "  sl  local_address\n"}})
	ctx, cancel := context.WithCancel(context.Background())
	exec := &fakeExec{os: remote.OSLinux, run: func(c context.Context, cmd *remote.Cmd) (remote.Result, error) {
		cancel() // interrupted during the first attempt
		return host.run(c, cmd)
	}}
	results := Run(ctx, exec, HostInfo{Name: "h"}, mustParse(t, "port:\n  tcp:22: {listening: true}\n"),
		RunOptions{RetryTimeout: time.Hour, Sleep: time.Hour})
	if len(results) != 1 || results[0].Status == Pass {
		t.Errorf("results = %v", summary(results))
	}
}

func TestRunWindows(t *testing.T) {
	host := newFakeHost(remote.OSWindows, map[string]probeReply{
		psTCPListeners:                         {out: probe(t, "win_tcp.json")},
		psService("sshd"):                      {out: probe(t, "win_service_sshd.json")},
		psService("wuauserv"):                  {out: probe(t, "win_service_stopped_manual.json")},
		psProcesses:                            {out: probe(t, "win_process.json")},
		psPackage("7-Zip 23.01 (x64)"):         {out: probe(t, "win_package.json")},
		psFile(`C:\Windows\win.ini`):           {out: probe(t, "win_file.json")},
		psHash("SHA256", `C:\Windows\win.ini`): {out: "6F533CCC79227E38F18BD3A2A5C3E8E5C6E2B6D1B1D8F1F2F3F4F5F6F7F8F9F0\n"},
		psUser("Administrator"):                {out: probe(t, "win_user.json")},
		psResolve("example.net", ""):           {out: probe(t, "win_dns_a.json")},
		psInterface("Ethernet"):                {out: probe(t, "win_interface.json")},
	})
	results := Run(context.Background(), host.exec(), HostInfo{Name: "win1"}, mustParse(t, `
port:
  tcp:3389: {listening: true, ip: [0.0.0.0]}
  tcp6:5985: {listening: true}
service:
  sshd: {enabled: true, running: true}
  wuauserv: {running: false, enabled: false}
process:
  sshd.exe: {running: true}
package:
  7-Zip 23.01 (x64): {installed: true, versions: ["23.01"]}
file:
  'C:\Windows\win.ini': {exists: true, filetype: file, size: 824, mode: "0644", uid: 0, sha256: {have-prefix: 6f533ccc}}
  ~/x: {exists: true}
user:
  Administrator: {exists: true, groups: [Administrators], uid: 500}
dns:
  example.net: {from: host, resolvable: true, addrs: [93.184.215.14]}
  CAA:example.net: {from: host, resolvable: true}
kernel-param:
  vm.swappiness: {value: "60"}
interface:
  Ethernet: {exists: true, addrs: [192.0.2.15/24], mtu: 1500}
`), RunOptions{})
	want := []string{
		"port tcp:3389 listening pass", "port tcp:3389 ip pass", "port tcp6:5985 listening pass",
		"service sshd enabled pass", "service sshd running pass",
		"service wuauserv enabled pass", "service wuauserv running pass",
		"process sshd.exe running pass",
		"package 7-Zip 23.01 (x64) installed pass", "package 7-Zip 23.01 (x64) versions pass",
		"file C:\\Windows\\win.ini exists pass", "file C:\\Windows\\win.ini filetype pass",
		"file C:\\Windows\\win.ini mode error", "file C:\\Windows\\win.ini uid error",
		"file C:\\Windows\\win.ini size pass", "file C:\\Windows\\win.ini sha256 pass",
		"file ~/x exists error",
		"user Administrator exists pass", "user Administrator uid error", "user Administrator groups pass",
		"dns example.net resolvable pass", "dns example.net addrs pass", "dns CAA:example.net resolvable error",
		"kernel-param vm.swappiness value error",
		"interface Ethernet exists pass", "interface Ethernet addrs pass", "interface Ethernet mtu pass",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results:\n got %q\nwant %q", got, want)
	}
	if host.gathers != 1 {
		t.Errorf("%d gathers, want 1", host.gathers)
	}
}

func TestWindowsBatchesFitTheCommandLine(t *testing.T) {
	var reqs []request
	for i := range 60 {
		reqs = append(reqs, request{code: psFile(`C:\ProgramData\app\config-` + strings.Repeat("x", 40) + string(rune('a'+i%26)))})
	}
	batches := windowsBatches(reqs)
	if len(batches) < 2 {
		t.Fatalf("%d batches for 60 file probes", len(batches))
	}
	next := 0
	for _, b := range batches {
		if b.first != next || b.end <= b.first {
			t.Fatalf("batches %v do not cover the requests in order", batches)
		}
		next = b.end
		cmd := windowsScript("0123456789abcdef", b.first, reqs[b.first:b.end])
		if n := len(cmd.Args[len(cmd.Args)-1]); n > maxEncodedScript {
			t.Errorf("batch %v encodes to %d characters, more than %d", b, n, maxEncodedScript)
		}
	}
	if next != len(reqs) {
		t.Errorf("batches end at %d of %d requests", next, len(reqs))
	}
}

func TestRunFromHostNeedsNetDialer(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{})
	results := Run(context.Background(), host.exec(), HostInfo{Name: "h"}, mustParse(t, `
http:
  http://127.0.0.1:1/: {status: 200, from: host}
`), RunOptions{})
	if len(results) != 1 || results[0].Status != Error || results[0].Message != "from: host needs a transport that can open connections (ssh)" {
		t.Errorf("results = %+v", results)
	}
}

func TestGatherSections(t *testing.T) {
	nonce := "00112233aabbccdd"
	m := markerPrefix(nonce)
	out := m + "begin 0\nline one\r\nno newline at end\n" + m + "stderr\n\n" + m + "end 0\n" +
		"stray output\n" +
		m + "begin 2\n::rctl:ffffffffffffffff begin 9\nbinary\x00\xff\n\n" + m + "stderr\nboom\n" + m + "end 3\n" +
		m + "begin 4\npartial"
	got := splitSections([]byte(out), nonce)
	if len(got) != 2 {
		t.Fatalf("sections = %+v", got)
	}
	if s := got[0]; string(s.out) != "line one\r\nno newline at end" || s.code != 0 || !s.ok || s.failed() != "" {
		t.Errorf("section 0 = %+v", s)
	}
	if s := got[2]; string(s.out) != "::rctl:ffffffffffffffff begin 9\nbinary\x00\xff\n" || s.code != 3 || s.stderr != "boom" || s.failed() != "boom" {
		t.Errorf("section 2 = %+v", s)
	}
	if _, ok := got[4]; ok {
		t.Error("an unfinished section was returned")
	}
	if msg := (section{}).failed(); !strings.Contains(msg, "stopped early") {
		t.Errorf("missing section: %q", msg)
	}
}

func TestGatherScriptFailure(t *testing.T) {
	exec := &fakeExec{os: remote.OSLinux, run: func(_ context.Context, cmd *remote.Cmd) (remote.Result, error) {
		writeAll(t, cmd.Stderr, "sh: 1: Syntax error\n")
		return remote.Result{ExitCode: 2}, nil
	}}
	results := Run(context.Background(), exec, HostInfo{Name: "h"}, mustParse(t, "process:\n  bash: {running: true}\n"), RunOptions{})
	if results[0].Status != Error || results[0].Message != "the probe script failed: sh: 1: Syntax error" {
		t.Errorf("result = %+v", results[0])
	}
}

func TestRunBecome(t *testing.T) {
	var become []string
	exec := &fakeExec{os: remote.OSLinux, run: func(_ context.Context, cmd *remote.Cmd) (remote.Result, error) {
		kind := "command"
		if strings.Contains(cmd.Shell, "_s()") {
			kind = "gather"
		}
		become = append(become, kind+" "+strconv.FormatBool(cmd.Become)+" "+cmd.BecomeUser)
		return remote.Result{}, nil
	}}
	checks := mustParse(t, "file:\n  /etc/shadow: {mode: \"0640\"}\ncommand:\n  id -u: {exit-status: 0}\n")
	Run(context.Background(), exec, HostInfo{Name: "h"}, checks, RunOptions{Become: true, BecomeUser: "auditor"})
	Run(context.Background(), exec, HostInfo{Name: "h"}, checks, RunOptions{})
	want := []string{"gather true auditor", "command true auditor", "gather false ", "command false "}
	if !reflect.DeepEqual(become, want) {
		t.Errorf("become settings = %q, want %q", become, want)
	}
}

// BenchmarkRunHost measures what one host costs the controller: building
// the gather script, splitting its output and evaluating 20 checks (the
// round trip itself is faked).
func BenchmarkRunHost(b *testing.B) {
	host := debianHost(b)
	s, err := Parse("bench.yaml", []byte(debianChecks))
	if err != nil {
		b.Fatal(err)
	}
	exec := host.exec()
	b.ReportAllocs()
	for b.Loop() {
		Run(context.Background(), exec, HostInfo{Name: "h"}, s.Checks, RunOptions{})
	}
}

// BenchmarkParse measures parsing a goss file.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("goss.yaml", []byte(gossFile)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRunManyHostsShareChecks runs one suite on many hosts at once, as the
// CLI does: checks are shared, read-only.
func TestRunManyHostsShareChecks(t *testing.T) {
	checks := mustParse(t, debianChecks)
	want := summary(Run(context.Background(), debianHost(t).exec(), HostInfo{Name: "h"}, checks, RunOptions{}))
	var wg sync.WaitGroup
	got := make([][]string, 8)
	for i := range got {
		host := debianHost(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = summary(Run(context.Background(), host.exec(), HostInfo{Name: "h"}, checks, RunOptions{}))
		}()
	}
	wg.Wait()
	for i, g := range got {
		if !reflect.DeepEqual(g, want) {
			t.Errorf("host %d: %q", i, g)
		}
	}
}

// TestRunSplitsLargeGathers checks that a gather too long for one command
// line is split, and that every request still gets its section.
func TestRunSplitsLargeGathers(t *testing.T) {
	probes := make(map[string]probeReply)
	var b strings.Builder
	b.WriteString("file:\n")
	for i := range 1500 {
		path := fmt.Sprintf("/srv/data/tenant-%04d/config.yaml", i)
		probes[posixCall("_stat", path)] = probeReply{out: "missing"}
		fmt.Fprintf(&b, "  %s: {exists: false}\n", path)
	}
	host := newFakeHost(remote.OSLinux, probes)
	var longest int
	exec := &fakeExec{os: remote.OSLinux, run: func(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
		longest = max(longest, len(cmd.Shell))
		return host.run(ctx, cmd)
	}}
	results := Run(context.Background(), exec, HostInfo{Name: "h"}, mustParse(t, b.String()), RunOptions{})
	for _, r := range results {
		if r.Status != Pass {
			t.Fatalf("%s: %s %s", r.ID, r.Status, r.Message)
		}
	}
	if len(results) != 1500 || host.gathers < 2 || longest > maxPosixScript {
		t.Errorf("%d results in %d gathers, longest script %d bytes", len(results), host.gathers, longest)
	}
}

func TestRunGossSpellingsAndOwnersByNumber(t *testing.T) {
	host := debianHost(t)
	results := Run(context.Background(), host.exec(), HostInfo{Name: "deb1"}, mustParse(t, `
file:
  /etc/passwd: {exists: true, uid: 0, gid: {lt: 1}, contains: ["root:x:"]}
  /nonexistent: {exists: false, uid: 0}
dns:
  localhost: {from: host, resolveable: true}
`), RunOptions{})
	want := []string{
		"file /etc/passwd exists pass", "file /etc/passwd uid pass", "file /etc/passwd gid pass", "file /etc/passwd contents pass",
		"file /nonexistent exists pass", "file /nonexistent uid skip",
		"dns localhost resolvable pass",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
}

// TestRunMatching follows goss's matching examples (docs/gossfile.md):
// content against a matcher, with no probe and no connection.
func TestRunMatching(t *testing.T) {
	checks := mustParse(t, `
matching:
  has_substr:
    content: some string
    matches: {match-regexp: some str}
  has_foo_bar_and_baz:
    content: {foo: bar, baz: bing}
    matches:
      and:
        - have-key: baz
        - have-key: foo
  instance_count:
    content: 3
    matches: {gt: 1}
  list:
    content: [1, 2, "three"]
    matches: [three, 1]
  as_reader:
    content: "line one\nline two\n"
    as-reader: true
    matches: ["/^line t/", "!three"]
  json:
    content: '{"status": "ok", "items": [1, 2]}'
    matches: {gjson: {status: ok, items.#: 2}}
  version:
    content: 1.4.2
    matches: {semver-constraint: ">1.4.0"}
  no_key:
    content: {foo: bar}
    matches: {have-key: nope}
  plain_equal:
    content: "hello\n"
    as-reader: true
    matches: hello
  keys_in_a_list:
    content: [{name: a, port: 80}, {name: b}]
    matches:
      and:
        - contain-element: {have-key: port}
        - consist-of: [{have-key: name}, {have-key: port}]
        - not: {contain-element: {have-key: nope}}
        - contain-element: {equal: {name: b}}
  keys_in_a_json_array:
    content: '{"items": [{"id": 1}, {"id": 2, "tag": "x"}]}'
    matches: {gjson: {items: {contain-element: {have-key: tag}}, "items.#.id": [1, 2]}}
  no_key_in_a_list:
    content: [{name: a}]
    matches: {contain-element: {have-key: port}}
`)
	results := Run(context.Background(), nil, HostInfo{Name: "h"}, checks, RunOptions{})
	want := []string{
		"matching has_substr matches pass", "matching has_foo_bar_and_baz matches pass",
		"matching instance_count matches pass", "matching list matches pass",
		"matching as_reader matches pass", "matching json matches pass", "matching version matches pass",
		"matching no_key matches fail", "matching plain_equal matches fail",
		"matching keys_in_a_list matches pass", "matching keys_in_a_json_array matches pass",
		"matching no_key_in_a_list matches fail",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
}

// TestRunRetryCount follows goss's retry_count and retry_delay: a check
// that does not pass is run again, up to retry_count more times.
func TestRunRetryCount(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{})
	var mu sync.Mutex
	runs := map[string]int{}
	exitAfter := func(name string, passOn int) func(context.Context, *remote.Cmd) (remote.Result, error) {
		return func(context.Context, *remote.Cmd) (remote.Result, error) {
			mu.Lock()
			defer mu.Unlock()
			runs[name]++
			if runs[name] >= passOn {
				return remote.Result{ExitCode: 0}, nil
			}
			return remote.Result{ExitCode: 1}, nil
		}
	}
	host.commands["third time"] = exitAfter("third time", 3)
	host.commands["never"] = exitAfter("never", 100)
	host.commands["no retries"] = exitAfter("no retries", 2)
	start := time.Now()
	results := Run(context.Background(), host.exec(), HostInfo{Name: "h"}, mustParse(t, `
command:
  third time: {exit-status: 0, retry_count: 2, retry_delay: 10}
  never: {exit-status: 0, retry_count: 1, retry_delay: 10ms}
  no retries: {exit-status: 0}
`), RunOptions{})
	want := []string{"command third time exit-status pass", "command never exit-status fail", "command no retries exit-status fail"}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	if want := map[string]int{"third time": 3, "never": 2, "no retries": 1}; !reflect.DeepEqual(runs, want) {
		t.Errorf("runs = %v, want %v", runs, want)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("took %s: retry_delay not honoured", d)
	}
	if _, err := Parse("f.yaml", []byte("file:\n  /a: {exists: true, retry_count: 2}\n")); err == nil {
		t.Error("retry_count accepted on a file check")
	}
}

// TestRunRequiredProperties follows goss's resource/*.go: the property a
// type always evaluates (file exists, port listening, command
// exit-status, ...) fails when the check leaves it out, and the others are
// skipped; a service has none.
func TestRunRequiredProperties(t *testing.T) {
	host := debianHost(t)
	results := Run(context.Background(), host.exec(), HostInfo{Name: "deb1"}, mustParse(t, `
file:
  /etc/passwd: {mode: "0644"}
service:
  ssh: {running: true}
mount:
  /srv/none: {exists: false, filesystem: ext4}
`), RunOptions{})
	// A mount that does not exist is an error of exists, even exists:
	// false, as goss's binary reports it ("Mountpoint not found"); what
	// depends on it is skipped.
	want := []string{"file /etc/passwd exists fail", "file /etc/passwd mode skip", "service ssh running pass",
		"mount /srv/none exists error", "mount /srv/none filesystem skip"}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	if r := results[0]; r.Expected != "(required)" || !strings.Contains(r.Message, "add exists:") {
		t.Errorf("missing exists = %+v", r)
	}
	if r := results[3]; !strings.Contains(r.Message, "Mountpoint not found") {
		t.Errorf("missing mount = %+v", r)
	}
}

// TestRunHostBoundKeepsFinishedProbes: a probe that hangs uses up the
// host's bound, but the probes that finished before it keep their
// results; only the unfinished ones are errors.
func TestRunHostBoundKeepsFinishedProbes(t *testing.T) {
	host := newFakeHost(remote.OSLinux, map[string]probeReply{
		posixCall("_stat", "/etc/passwd"): {out: probe(t, "stat_file.txt")},
		posixCall("_svc", "slow"):         {hang: true},
	})
	results := Run(context.Background(), host.exec(), HostInfo{Name: "h"}, mustParse(t, `
file:
  /etc/passwd: {exists: true}
service:
  slow: {running: true}
`), RunOptions{HostTimeout: 100 * time.Millisecond})
	want := []string{"file /etc/passwd exists pass", "service slow running error"}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	if r := results[1]; !strings.Contains(r.Message, "did not finish within 100ms") {
		t.Errorf("unfinished probe = %+v", r)
	}
}

// TestRunInterface follows goss's interface: exists, addrs (with prefix
// lengths, as Go's net.Interface.Addrs prints them) and mtu.
func TestRunInterface(t *testing.T) {
	host := debianHost(t)
	results := Run(context.Background(), host.exec(), HostInfo{Name: "deb1"}, mustParse(t, `
interface:
  lo: {exists: true, addrs: [127.0.0.1/8, "::1/128"], mtu: 65536}
  eth9: {exists: false, mtu: 1500}
`), RunOptions{})
	want := []string{
		"interface lo exists pass", "interface lo addrs pass", "interface lo mtu pass",
		"interface eth9 exists pass", "interface eth9 mtu skip",
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
}
