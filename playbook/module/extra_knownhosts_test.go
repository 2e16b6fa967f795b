package module

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testHostKeys makes n ed25519 public keys (the text after the host field).
func testHostKeys(t *testing.T, n int) []string {
	t.Helper()
	dir := t.TempDir()
	var keys []string
	for i := 0; i < n; i++ {
		f := filepath.Join(dir, "k"+string(rune('0'+i)))
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", f).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, err := os.ReadFile(f + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, strings.TrimSpace(string(pub)))
	}
	return keys
}

var khHashRe = regexp.MustCompile(`\|1\|[^ ]+`)

// khComparable is a result with its path and host hashes replaced.
func khComparable(r map[string]any, path string) map[string]any {
	data, _ := json.Marshal(r)
	text := khHashRe.ReplaceAllString(strings.ReplaceAll(string(data), path, "PATH"), "HASHED")
	var out map[string]any
	_ = json.Unmarshal([]byte(text), &out)
	return out
}

func TestKnownHostsAsAnsible(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is not installed")
	}
	t.Setenv("HOME", t.TempDir())
	k := testHostKeys(t, 3)
	steps := []oracleCase{
		{Args: map[string]any{"name": "Host1.example", "key": "host1.example " + k[0]}, Check: true},
		{Args: map[string]any{"name": "Host1.example", "key": "host1.example " + k[0]}},
		{Args: map[string]any{"name": "host1.example", "key": "host1.example " + k[0]}},
		{Args: map[string]any{"name": "host1.example", "key": "host1.example,10.0.0.1 " + k[1]}, Check: true},
		{Args: map[string]any{"name": "host1.example", "key": "host1.example,10.0.0.1 " + k[1]}},
		{Args: map[string]any{"host": "host2.example", "key": "host2.example " + k[2], "hash_host": true}},
		{Args: map[string]any{"host": "host2.example", "key": "host2.example " + k[2], "hash_host": true}},
		{Args: map[string]any{"name": "host3.example", "key": "host3.example " + k[2]}},
		{Args: map[string]any{"name": "host1.example", "key": "host1.example " + k[2], "state": "absent"}},
		{Args: map[string]any{"name": "host1.example", "key": "host1.example " + k[0], "state": "absent"}, Check: true},
		{Args: map[string]any{"name": "host1.example", "key": "host1.example " + k[0], "state": "absent"}},
		{Args: map[string]any{"name": "host2.example", "state": "absent"}, Check: true},
		{Args: map[string]any{"name": "host2.example", "state": "absent"}},
		{Args: map[string]any{"name": "host2.example", "state": "absent"}},
		{Args: map[string]any{"name": "a.example,b.example", "key": "a.example " + k[0]}},
		{Args: map[string]any{"name": "host1.example", "key": "other.example " + k[0]}},
		{Args: map[string]any{"name": "host1.example"}},
	}
	ours, theirs := filepath.Join(t.TempDir(), "known_hosts"), filepath.Join(t.TempDir(), "known_hosts")
	with := func(c oracleCase, path string) oracleCase {
		args := map[string]any{"path": path}
		for k, v := range c.Args {
			args[k] = v
		}
		return oracleCase{Module: "known_hosts", Args: args, Check: c.Check}
	}
	var cases []oracleCase
	for _, c := range steps {
		cases = append(cases, with(c, theirs))
	}
	wants := ansibleBatch(t, cases)
	for i, c := range steps {
		got := runCase(t, with(c, ours))
		g, w := khComparable(got, ours), khComparable(wants[i], theirs)
		keys := []string{"changed", "failed", "msg", "name", "key", "path", "hash_host", "state", "mode", "owner", "uid", "gid", "group", "size", "diff"}
		if c.Args["hash_host"] == true || c.Args["name"] == "host2.example" {
			keys = keys[:len(keys)-1] // a hashed host differs at each run
		}
		sameKeys(t, fmtArgs(c.Args), Result(g), w, keys...)
	}
	a, _ := os.ReadFile(ours)
	b, _ := os.ReadFile(theirs)
	if khHashRe.ReplaceAllString(string(a), "H") != khHashRe.ReplaceAllString(string(b), "H") || len(a) == 0 {
		t.Errorf("known_hosts files differ:\n ours %s\nansible's %s", a, b)
	}
}

func TestKnownHostsHashed(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is not installed")
	}
	k := testHostKeys(t, 1)
	path := filepath.Join(t.TempDir(), "known_hosts")
	r := runLocal(t, "known_hosts", map[string]any{"name": "h.example", "key": "h.example " + k[0], "hash_host": true, "path": path}, false, false)
	if !r.Changed() {
		t.Fatalf("hash_host: %v", r)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "|1|") || strings.Contains(string(data), "h.example") {
		t.Errorf("not hashed: %q", data)
	}
	if out, _ := exec.Command("ssh-keygen", "-F", "h.example", "-f", path).Output(); len(out) == 0 {
		t.Errorf("ssh-keygen -F does not find the hashed host in %q", data)
	}
}
