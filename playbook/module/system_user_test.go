package module

import (
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

const accountGoldenProbe = "P\talice:x:1001:1001:Alice:/home/alice:/bin/bash\nS\talice:$6$abc:19000:0:99999:7:::\n" +
	"G\talice:x:1001:\nG\tsudo:x:27:alice\nG\tdocker:x:999:\nG\tstaff:x:50:bob\nAPPEND\nHOME\nUMASK\t022\n"

func TestUserDecisions(t *testing.T) {
	m, _ := Lookup("user")
	p := parseAccountProbe(accountGoldenProbe)
	if p.user == nil || p.user.uid != 1001 || p.shadowPw != "$6$abc" || p.expires != -1 || !p.homeExists || p.umask != 0o22 {
		t.Fatalf("probe: %+v %+v", p, p.user)
	}
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"name": "alice"}, ""},
		{map[string]any{"name": "alice", "shell": "/bin/bash", "comment": "Alice"}, ""},
		{map[string]any{"name": "alice", "shell": "/bin/sh"}, "usermod -s /bin/sh alice"},
		{map[string]any{"name": "alice", "groups": []any{"sudo"}}, ""},
		{map[string]any{"name": "alice", "groups": []any{"docker"}, "append": true}, "usermod -a -G docker alice"},
		{map[string]any{"name": "alice", "groups": []any{"docker"}}, "usermod -G docker alice"},
		{map[string]any{"name": "alice", "groups": ""}, "usermod -G  alice"},
		{map[string]any{"name": "alice", "groups": "", "append": true}, ""},
		{map[string]any{"name": "alice", "group": "staff", "uid": 1001}, "usermod -g 50 alice"},
		{map[string]any{"name": "alice", "password": "$6$abc"}, ""},
		{map[string]any{"name": "alice", "password": "$6$new"}, "usermod -p $6$new alice"},
		{map[string]any{"name": "alice", "password": "$6$new", "update_password": "on_create"}, ""},
		{map[string]any{"name": "alice", "expires": 1700000000}, "usermod -e 2023-11-14 alice"},
		{map[string]any{"name": "alice", "expires": -1}, ""},
	} {
		args, err := m.Normalize(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		argv, err := usermodArgs(args, p)
		if err != nil || strings.Join(argv, " ") != tc.want {
			t.Errorf("%v: %q %v, want %q", tc.args, strings.Join(argv, " "), err, tc.want)
		}
	}
	args, _ := m.Normalize(map[string]any{"name": "bob", "groups": "sudo,docker", "comment": "Bob", "system": true, "create_home": false})
	p.user = nil
	argv, err := useraddArgs(args, p)
	if got := strings.Join(argv, " "); err != nil || got != "useradd -G sudo,docker -c Bob -M -r bob" {
		t.Errorf("useradd: %q %v", got, err)
	}
	args, _ = m.Normalize(map[string]any{"name": "alice", "group": "nogroup"})
	if _, err := useraddArgs(args, p); err == nil || err.Error() != "Group nogroup does not exist" {
		t.Errorf("missing group: %v", err)
	}
	if got := strings.Join(userdelArgs(Args{"name": "x", "remove": true, "force": true}), " "); got != "userdel -f -r x" {
		t.Errorf("userdel: %s", got)
	}
}

// accountStep is one task of the user/group end-to-end test.
type accountStep struct {
	module  string
	args    map[string]any
	check   bool
	changed bool
}

// comparable drops the keys the executor adds and masks what differs between two runs of the same task on the
// same host state: ids the system allocates and tool output.
func comparable(res map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range res {
		switch k {
		case "stdout_lines", "stderr_lines", "invocation", "warnings": // added by the executor, or Ansible's own
		case "uid", "group", "gid", "stdout", "stderr":
			out[k] = "<set>"
		default:
			if f, ok := v.(float64); ok {
				v = int(f)
			}
			out[k] = v
		}
	}
	return out
}

func TestUserGroupAsAnsible(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creates users: root only")
	}
	suffix := RandomSuffix()[:6]
	user, group := "rctest-u"+suffix, "rctest-g"+suffix
	home := t.TempDir() + "/home"
	cleanup := func() {
		exec.Command("userdel", "-r", user).Run() //nolint:errcheck // absent is fine
		exec.Command("groupdel", group).Run()     //nolint:errcheck // absent is fine
	}
	cleanup()
	t.Cleanup(cleanup)
	u := map[string]any{"name": user, "comment": "rc test", "shell": "/bin/sh", "groups": []any{group}, "home": home}
	steps := []accountStep{
		{"group", map[string]any{"name": group}, true, true},
		{"group", map[string]any{"name": group, "system": true}, false, true},
		{"group", map[string]any{"name": group}, false, false},
		{"user", u, true, true},
		{"user", u, false, true},
		{"user", u, false, false},
		{"user", map[string]any{"name": user, "shell": "/bin/bash", "groups": "", "append": true}, true, true},
		{"user", map[string]any{"name": user, "shell": "/bin/bash", "groups": ""}, false, true},
		{"user", map[string]any{"name": user, "state": "absent", "remove": true}, false, true},
		{"user", map[string]any{"name": user, "state": "absent"}, false, false},
		{"group", map[string]any{"name": group, "state": "absent"}, true, true},
		{"group", map[string]any{"name": group, "state": "absent"}, false, true},
	}
	var results [2][]map[string]any
	skip := map[int]bool{2: true, 5: true, 9: true} // idempotence repeats: remotectl's own runs show them
	for run, tool := range []string{"remotectl", "ansible"} {
		for i, s := range steps {
			if run == 1 && skip[i] {
				results[run] = append(results[run], results[0][i])
				continue
			}
			var res map[string]any
			if run == 0 {
				res = runLocal(t, s.module, s.args, s.check, false)
			} else {
				res = ansibleOracle(t, s.module, s.args, s.check, false)
			}
			if c, _ := res["changed"].(bool); c != s.changed || res["failed"] == true {
				t.Errorf("%s step %d %s %v: changed=%v, want %v (%v)", tool, i, s.module, s.args, c, s.changed, res)
			}
			results[run] = append(results[run], comparable(res))
		}
		if _, err := os.Stat(home); err == nil {
			t.Errorf("%s: home %s left after remove", tool, home)
		}
	}
	for i := range steps {
		if !reflect.DeepEqual(results[0][i], results[1][i]) {
			t.Errorf("step %d %s %v:\nremotectl %v\n  ansible %v", i, steps[i].module, steps[i].args, results[0][i], results[1][i])
		}
	}
}

func TestUserSSHKeyAsAnsible(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creates users: root only")
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("no ssh-keygen")
	}
	user := "rctest-k" + RandomSuffix()[:6]
	home := t.TempDir() + "/home"
	t.Cleanup(func() { exec.Command("userdel", "-r", user).Run() }) //nolint:errcheck // best effort
	args := map[string]any{"name": user, "home": home, "generate_ssh_key": true, "ssh_key_type": "ed25519", "ssh_key_comment": "rc"}
	var results [2][]map[string]any
	for run := range 2 {
		exec.Command("userdel", "-r", user).Run() //nolint:errcheck // absent is fine
		for i, check := range []bool{false, false} {
			var res map[string]any
			if run == 0 {
				res = runLocal(t, "user", args, check, false)
			} else {
				res = ansibleOracle(t, "user", args, check, false)
			}
			if c, _ := res["changed"].(bool); c != (i == 0) {
				t.Errorf("run %d step %d: %v", run, i, res)
			}
			pub, _ := res["ssh_public_key"].(string)
			if !strings.HasPrefix(pub, "ssh-ed25519 ") || !strings.HasSuffix(pub, " rc") || res["ssh_key_file"] != home+"/.ssh/id_ed25519" {
				t.Errorf("run %d step %d: key %v", run, i, res)
			}
			c := comparable(res)
			c["ssh_public_key"], c["ssh_fingerprint"] = "<set>", "<set>"
			results[run] = append(results[run], c)
		}
	}
	if !reflect.DeepEqual(results[0], results[1]) {
		t.Errorf("results:\nremotectl %v\n  ansible %v", results[0], results[1])
	}
}

// TestAccountProbeScriptRuns runs the user module's probe with this
// machine's /bin/sh and getent: the passwd, shadow and group sections and
// the tagged lines parse as the module reads them.
func TestAccountProbeScriptRuns(t *testing.T) {
	probe := func(name, home string) *accountProbe {
		t.Helper()
		out, err := exec.Command("/bin/sh", "-c", accountProbeScript(name, home)).Output()
		if err != nil {
			t.Fatalf("probe of %q: %v", name, err)
		}
		return parseAccountProbe(string(out))
	}
	p := probe("root", "")
	if p.user == nil || p.user.uid != 0 || p.user.name != "root" || p.group("root") == nil || !p.homeExists {
		t.Errorf("root: %+v %+v", p, p.user)
	}
	if os.Geteuid() == 0 && p.shadowPw == "" {
		t.Errorf("root reads the shadow line: %+v", p)
	}
	p = probe("rctl-no-such-user", "")
	if p.user != nil || p.homeExists || len(p.groups) == 0 {
		t.Errorf("missing user: %+v %+v", p, p.user)
	}
	if p = probe("rctl-no-such-user", "/"); !p.homeExists {
		t.Errorf("a given home that exists: %+v", p)
	}
}
