package module

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// ansibleFacts runs a facts module with ansible -c local and returns the
// ansible_facts of its result (ansibleOracle drops them).
func ansibleFacts(t *testing.T, name string) map[string]any {
	t.Helper()
	bin, err := exec.LookPath("ansible")
	if err != nil {
		t.Skip("ansible (Debian's ansible-core) is not installed; scripts/test.sh installs it")
	}
	home := t.TempDir()
	tree := filepath.Join(home, "tree")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "localhost", "-c", "local", "-i", "localhost,", "-m", name, "-t", tree)
	cmd.Env = append(os.Environ(), "HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(home, "rtmp"), "ANSIBLE_LOCALHOST_WARNING=0", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3", "ANSIBLE_CONFIG="+filepath.Join(home, "none.cfg"))
	out, _ := cmd.CombinedOutput()
	data, err := os.ReadFile(filepath.Join(tree, "localhost"))
	if err != nil {
		t.Fatalf("ansible %s: no result: %v\n%s", name, err, out)
	}
	var res map[string]any
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	facts, _ := res["ansible_facts"].(map[string]any)
	return facts
}

// jsonRoundTrip makes a Go result comparable with a decoded JSON one.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPackageFactsAsAnsible(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("not a dpkg host")
	}
	res := runLocal(t, "package_facts", map[string]any{}, true, false)
	facts, _ := res["ansible_facts"].(map[string]any)
	got := jsonRoundTrip(t, facts["packages"]).(map[string]any)
	want, _ := ansibleFacts(t, "package_facts")["packages"].(map[string]any)
	if len(got) == 0 || len(got) != len(want) {
		t.Fatalf("%d packages, ansible %d", len(got), len(want))
	}
	diffs := 0
	for name, w := range want {
		if !reflect.DeepEqual(got[name], w) && diffs < 10 {
			diffs++
			t.Errorf("%s:\n got %v\nwant %v", name, got[name], w)
		}
	}
}

func TestServiceFactsAsAnsible(t *testing.T) {
	res := runLocal(t, "service_facts", map[string]any{}, true, false)
	want, _ := ansibleFacts(t, "service_facts")["services"].(map[string]any)
	facts, _ := res["ansible_facts"].(map[string]any)
	if len(want) == 0 {
		if res["skipped"] != true {
			t.Errorf("ansible found no services, we did: %v", res)
		}
		return
	}
	if got := jsonRoundTrip(t, facts["services"]); !reflect.DeepEqual(got, any(want)) {
		t.Errorf("services:\n got %v\nwant %v", got, want)
	}
}

func TestServiceFactsParse(t *testing.T) {
	out := "@@units\n  UNIT LOAD ACTIVE SUB DESCRIPTION\n  cron.service loaded active running Regular background program\n" +
		"● bad.service not-found inactive dead bad.service\n  ssh.service loaded inactive dead OpenBSD\n" +
		"@@files\nUNIT FILE STATE VENDOR PRESET\ncron.service enabled enabled\nssh.service disabled enabled\nx.service static -\n\n3 unit files listed.\n" +
		"@@active\ncron.service\tactive\nssh.service\tinactive\nx.service\tinactive\n"
	got, err := parseServiceFacts(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"cron.service": map[string]any{"name": "cron.service", "state": "running", "status": "enabled", "source": "systemd"},
		"bad.service":  map[string]any{"name": "bad.service", "state": "stopped", "status": "not-found", "source": "systemd"},
		"ssh.service":  map[string]any{"name": "ssh.service", "state": "stopped", "status": "disabled", "source": "systemd"},
		"x.service":    map[string]any{"name": "x.service", "state": "inactive", "status": "static", "source": "systemd"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	rpm := parseRpmPackages("R\tbash\t5.1.8\t9.el9\t(none)\tx86_64\nR\tkernel\t5.14\t1\t0\tx86_64\n")
	if e := rpm["bash"].([]any)[0].(map[string]any)["epoch"]; e != nil {
		t.Errorf("epoch (none): %v", e)
	}
	if e := rpm["kernel"].([]any)[0].(map[string]any)["epoch"]; e != 0 {
		t.Errorf("epoch 0: %v", e)
	}
}
