package module

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A golden probe: bash installed with a newer candidate, curl known but not
// installed, an auto-installed libfoo, a virtual package with one installed
// provider, a removed package with its config files.
const aptGoldenProbe = "T\t1700000000\n" +
	"S\tbash\tii \t5.2.15-2+b8\nC\tbash\t5.2.15-2+b13\nV\tbash\t5.2.15-2+b13\nV\tbash\t5.2.15-2+b8\n" +
	"C\tcurl\t7.88.1-10\nV\tcurl\t7.88.1-10\nV\tcurl\t7.74.0-1\n" +
	"S\tlibfoo\tii \t1.0\nC\tlibfoo\t1.0\nV\tlibfoo\t1.0\n" +
	"S\tmta\tun \t\nC\tmta\t(none)\nP\tmta\texim4\n" +
	"S\texim4\tii \t4.96\nC\texim4\t4.96\nV\texim4\t4.96\n" +
	"S\told\trc \t2.0\nC\told\t2.0\nV\told\t2.0\n" +
	"M\tcur*\tcurl\nM\tcur*\tcurl:i386\n" +
	"A\tlibfoo\n"

func TestAptDecisions(t *testing.T) {
	p := parseAptProbe(aptGoldenProbe)
	cases := []struct {
		specs            []string
		upgrade, onlyUpg bool
		want             []string
		err              string
	}{
		{specs: []string{"bash"}, want: nil},
		{specs: []string{"bash"}, upgrade: true, want: []string{"bash=5.2.15-2+b13"}},
		{specs: []string{"curl"}, want: []string{"curl=7.88.1-10"}},
		{specs: []string{"curl=7.74*"}, want: []string{"curl=7.74.0-1"}},
		{specs: []string{"curl=9*"}, err: "no available installation candidate for curl=9*"},
		{specs: []string{"bash=5.2.15-2+b8"}, want: nil},
		{specs: []string{"bash>=5.3"}, err: "no available installation candidate for bash>=5.3"},
		{specs: []string{"curl"}, onlyUpg: true, want: nil},
		{specs: []string{"mta"}, want: nil},
		{specs: []string{"nosuch"}, err: "No package matching 'nosuch' is available"},
		{specs: []string{"old"}, want: []string{"old=2.0"}},
	}
	for _, tc := range cases {
		got, _, err := aptInstallList(p, tc.specs, tc.upgrade, tc.onlyUpg)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%v: err %v, want %q", tc.specs, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v upgrade=%v: %v %v, want %v", tc.specs, tc.upgrade, got, err, tc.want)
		}
	}
	if got := aptRemoveList(p, []string{"bash", "curl", "old", "nosuch", "bash=9*"}, false); !reflect.DeepEqual(got, []string{"bash"}) {
		t.Errorf("remove: %v", got)
	}
	if got := aptRemoveList(p, []string{"old"}, true); !reflect.DeepEqual(got, []string{"old"}) {
		t.Errorf("purge: %v", got)
	}
	if got, err := expandAptSpecs(p, []string{"cur*", "bash"}); err != nil || !reflect.DeepEqual(got, []string{"curl", "bash"}) {
		t.Errorf("expand: %v %v", got, err)
	}
	if _, err := expandAptSpecs(p, []string{"zz*"}); err == nil {
		t.Error("expand of a glob matching nothing did not fail")
	}
	if !p.pkgs["libfoo"].auto || p.cacheTime != 1700000000 {
		t.Errorf("probe: %+v", p)
	}
}

func TestDebVersionCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		sign int
	}{
		{"1.0", "1.0", 0}, {"1.0", "1.1", -1}, {"1.10", "1.9", 1}, {"1.0~rc1", "1.0", -1},
		{"1:0.1", "2.0", 1}, {"5.2.15-2+b13", "5.2.15-2+b8", 1}, {"1.0-1", "1.0", 1}, {"1.0a", "1.0", 1},
		{"1.0+dfsg", "1.0", 1}, {"01", "1", 0},
	} {
		got := debVersionCompare(tc.a, tc.b)
		if got > 0 {
			got = 1
		} else if got < 0 {
			got = -1
		}
		if got != tc.sign {
			t.Errorf("compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.sign)
		}
	}
}

func TestAptArgv(t *testing.T) {
	m, _ := Lookup("apt")
	args, err := m.Normalize(map[string]any{"name": "x", "install_recommends": false, "autoremove": true})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(aptGetArgs(&Call{Args: args, Check: true}, "install", []string{"x=1"}), " ")
	want := "apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=60 --auto-remove --simulate install x=1 -o APT::Install-Recommends=no"
	if got != want {
		t.Errorf("argv\n got %s\nwant %s", got, want)
	}
	if _, err := m.Normalize(map[string]any{"name": "x", "state": "installed"}); err == nil {
		t.Error("apt accepted state=installed (Ansible's apt refuses it)")
	}
	d := aptParseDiff("Reading package lists...\nBuilding dependency tree...\nReading state information...\nThe following NEW packages will be installed:\n  x\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\nInst x\n")
	if d["prepared"] != "The following NEW packages will be installed:\n  x\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded." {
		t.Errorf("diff: %q", d["prepared"])
	}
}

// aptTestRepo builds the package rctest-hello (one file) as a .deb, a local
// repository holding it, and an APT_CONFIG that lists only that repository
// with its own lists and cache directories: apt-get update then reads no
// network and leaves the host's lists alone, for remotectl and Ansible
// alike (both read APT_CONFIG). It returns the .deb's path.
func aptTestRepo(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("apt tests install packages: root only")
	}
	for _, bin := range []string{"dpkg-deb", "dpkg-scanpackages", "apt-get"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s missing (scripts/test.sh installs dpkg-dev)", bin)
		}
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "pkg")
	mustWrite(t, filepath.Join(root, "DEBIAN", "control"), "Package: rctest-hello\nVersion: 1.0\nArchitecture: all\n"+
		"Maintainer: remotectl tests <tests@example.invalid>\nDescription: remotectl's apt test package\n")
	mustWrite(t, filepath.Join(root, "usr", "share", "rctest-hello", "hello.txt"), "hello\n")
	repo := filepath.Join(dir, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(repo, "rctest-hello_1.0_all.deb")
	mustRun(t, "", "dpkg-deb", "--root-owner-group", "--build", root, deb)
	packages := mustRun(t, repo, "dpkg-scanpackages", ".", "/dev/null")
	mustWrite(t, filepath.Join(repo, "Packages"), packages)
	for _, d := range []string{"lists/partial", "cache/archives/partial", "parts"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(dir, "sources.list"), "deb [trusted=yes] file:"+repo+" ./\n")
	conf := filepath.Join(dir, "apt.conf")
	mustWrite(t, conf, `Dir::Etc::sourcelist "`+dir+`/sources.list";
Dir::Etc::sourceparts "`+dir+`/parts";
Dir::State::Lists "`+dir+`/lists";
Dir::Cache "`+dir+`/cache";
`)
	t.Setenv("APT_CONFIG", conf)
	purge := func() {
		exec.Command("dpkg", "--purge", "rctest-hello").Run() //nolint:errcheck // absent is fine
	}
	purge()
	t.Cleanup(purge)
	return deb
}

func mustWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRun(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

func helloInstalled(t *testing.T) bool {
	t.Helper()
	out, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "rctest-hello").Output()
	_, err := os.Stat("/usr/share/rctest-hello/hello.txt")
	installed := strings.HasPrefix(string(out), "ii")
	if installed != (err == nil) {
		t.Fatalf("dpkg says %q but the file: %v", out, err)
	}
	return installed
}

// step runs one task with remotectl and, when oracle is set, the same task
// with Ansible on the same starting state (undone between the two by
// reset), and compares changed/failed and the end state.
type aptStep struct {
	args          map[string]any
	check         bool
	wantChanged   bool
	wantInstalled bool
}

func TestAptInstallsAsAnsible(t *testing.T) {
	deb := aptTestRepo(t)
	steps := []aptStep{
		{map[string]any{"deb": deb}, true, true, false},
		{map[string]any{"deb": deb}, false, true, true},
		{map[string]any{"deb": deb}, false, false, true},
		{map[string]any{"name": "rctest-hello", "state": "absent"}, true, true, true},
		{map[string]any{"name": "rctest-hello", "state": "absent"}, false, true, false},
		{map[string]any{"name": "rctest-hello", "state": "absent"}, false, false, false},
		{map[string]any{"update_cache": true}, false, false, false},
		{map[string]any{"name": "rctest-hello"}, true, true, false},
		{map[string]any{"name": "rctest-hello", "update_cache": true}, false, true, true},
		{map[string]any{"name": "rctest-hello=1.*"}, false, false, true},
		{map[string]any{"name": "rctest-hello", "state": "latest"}, false, false, true},
		{map[string]any{"name": "rctest-hello", "state": "absent", "purge": true}, false, true, false},
		{map[string]any{"name": "rctest-*", "install_recommends": false}, false, true, true},
		{map[string]any{"name": "rctest-hello", "state": "absent"}, false, true, false},
	}
	// Ansible runs the steps that matter (the others repeat a state
	// Ansible already showed), to keep the oracle's calls few.
	oracle := map[int]bool{0: true, 1: true, 2: true, 4: true, 7: true, 8: true, 9: true, 11: true}
	for run, tool := range []string{"remotectl", "ansible"} {
		for i, s := range steps {
			if run == 1 && !oracle[i] {
				continue
			}
			var res map[string]any
			if run == 0 {
				res = runLocal(t, "apt", s.args, s.check, false)
			} else {
				res = ansibleOracle(t, "apt", s.args, s.check, false)
			}
			if f, _ := res["failed"].(bool); f {
				t.Fatalf("%s step %d %v: failed: %v", tool, i, s.args, res)
			}
			if c, _ := res["changed"].(bool); c != s.wantChanged {
				t.Errorf("%s step %d %v check=%v: changed=%v, want %v (%v)", tool, i, s.args, s.check, c, s.wantChanged, res)
			}
			if got := helloInstalled(t); got != s.wantInstalled {
				t.Fatalf("%s step %d %v: installed=%v, want %v", tool, i, s.args, got, s.wantInstalled)
			}
			if _, ok := s.args["update_cache"]; ok && res["cache_updated"] == nil {
				t.Errorf("%s step %d: no cache_updated in %v", tool, i, res)
			}
		}
	}
}

func TestAptRefusals(t *testing.T) {
	for _, tc := range []struct {
		args map[string]any
		msg  string
	}{
		{map[string]any{"state": "present"}, "one of the following is required"},
		{map[string]any{"name": "a=1=2"}, "invalid package spec: a=1=2"},
		{map[string]any{"deb": "/x.deb", "name": "x"}, "mutually exclusive"},
	} {
		res := runLocal(t, "apt", tc.args, true, false)
		if !res.IsFailed() || !strings.Contains(res["msg"].(string), tc.msg) {
			t.Errorf("%v: %v, want failure %q", tc.args, res, tc.msg)
		}
	}
}
