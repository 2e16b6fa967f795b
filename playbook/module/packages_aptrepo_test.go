package module

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestAptRepositoryDecisions(t *testing.T) {
	if got := aptSuggestFilename("deb [arch=amd64] https://user:pw@download.docker.com/linux/debian bookworm stable", ""); got != "download_docker_com_linux_debian.list" {
		t.Errorf("filename: %s", got)
	}
	if got := aptSuggestFilename("deb http://x/ y", "mine"); got != "mine.list" {
		t.Errorf("filename param: %s", got)
	}
	out := "@@dirs\t/etc/apt/sources.list\t/etc/apt/sources.list.d/\n@@file\t/etc/apt/sources.list\n" +
		"deb http://deb.debian.org/debian bookworm main\n#deb  http://extra/ x main # off\n\n@@end\n"
	_, parts, files := parseAptSources(out)
	if parts != "/etc/apt/sources.list.d/" || len(files) != 1 || len(files[0].lines) != 2 {
		t.Fatalf("parse: %s %v", parts, files)
	}
	if got := files[0].dump(); got != "deb http://deb.debian.org/debian bookworm main\n# deb http://extra/ x main # off\n" {
		t.Errorf("dump: %q", got)
	}
	added, err := aptRepoApply(files, "deb http://extra/  x main", "present", "", parts)
	if err != nil || added != nil || !files[0].lines[1].enabled {
		t.Errorf("enable a disabled copy: %v %v %+v", added, err, files[0].lines)
	}
	added, err = aptRepoApply(files, "deb http://new.example/repo stable main", "present", "", parts)
	if err != nil || added == nil || added.path != "/etc/apt/sources.list.d/new_example_repo.list" || !added.isNew {
		t.Errorf("new: %+v %v", added, err)
	}
	if _, err := aptRepoApply(files, "http://no-type/ x", "present", "", parts); err == nil {
		t.Error("invalid line accepted")
	}
	if _, err := aptRepoApply(files, "deb http://deb.debian.org/debian bookworm main", "absent", "", parts); err != nil || len(files[0].lines) != 1 {
		t.Errorf("absent: %v %+v", err, files[0].lines)
	}
}

func TestAptRepositoryAsAnsible(t *testing.T) {
	aptTestRepo(t)
	conf := os.Getenv("APT_CONFIG")
	dir := filepath.Dir(conf)
	line, err := os.ReadFile(filepath.Join(dir, "sources.list"))
	if err != nil {
		t.Fatal(err)
	}
	repo := string(line[:len(line)-1])
	reset := func() {
		mustWrite(t, filepath.Join(dir, "sources.list"), string(line))
		entries, _ := os.ReadDir(filepath.Join(dir, "parts"))
		for _, e := range entries {
			os.Remove(filepath.Join(dir, "parts", e.Name()))
		}
	}
	state := func() map[string]string {
		out := map[string]string{}
		for _, f := range append([]string{filepath.Join(dir, "sources.list")}, globAll(filepath.Join(dir, "parts", "*"))...) {
			if b, err := os.ReadFile(f); err == nil {
				st, _ := os.Stat(f)
				out[filepath.Base(f)] = st.Mode().Perm().String() + " " + string(b)
			}
		}
		return out
	}
	var ends [2][]map[string]string
	for run := range 2 {
		reset()
		for i, s := range []struct {
			args    map[string]any
			changed bool
		}{
			{map[string]any{"repo": repo}, false},
			{map[string]any{"repo": repo, "state": "absent"}, true},
			{map[string]any{"repo": repo}, true},
			{map[string]any{"repo": repo}, false},
		} {
			if run == 1 && (i == 0 || i == 3) {
				ends[1] = append(ends[1], ends[0][i])
				continue
			}
			var res map[string]any
			if run == 0 {
				res = runLocal(t, "apt_repository", s.args, false, false)
			} else {
				res = ansibleOracle(t, "apt_repository", s.args, false, false)
			}
			if c, _ := res["changed"].(bool); c != s.changed || res["failed"] == true {
				t.Errorf("run %d step %d: %v", run, i, res)
			}
			ends[run] = append(ends[run], state())
		}
	}
	if !reflect.DeepEqual(ends[0], ends[1]) {
		t.Errorf("files:\nremotectl %v\n  ansible %v", ends[0], ends[1])
	}
}

func globAll(p string) []string {
	m, _ := filepath.Glob(p)
	return m
}
