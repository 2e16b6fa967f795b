package shard

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// manifest is one Kubernetes object of examples/kubernetes, as the fields
// the examples rely on.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Type       string            `yaml:"type"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		CompletionMode string   `yaml:"completionMode"`
		Completions    *int     `yaml:"completions"`
		Parallelism    *int     `yaml:"parallelism"`
		BackoffLimit   *int     `yaml:"backoffLimit"`
		AccessModes    []string `yaml:"accessModes"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
		} `yaml:"resources"`
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy string `yaml:"restartPolicy"`
	Containers    []struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Env     []struct {
			Name      string         `yaml:"name"`
			Value     *string        `yaml:"value"`
			ValueFrom map[string]any `yaml:"valueFrom"`
		} `yaml:"env"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName  string `yaml:"secretName"`
			DefaultMode *int   `yaml:"defaultMode"`
		} `yaml:"secret"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

// loadManifests reads every document of examples/kubernetes/*.yaml,
// refusing unknown fields (a misspelt key is not silently dropped).
func loadManifests(t *testing.T) map[string]*manifest {
	t.Helper()
	files, err := filepath.Glob("../examples/kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string]*manifest{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		for {
			m := &manifest{}
			if err := dec.Decode(m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if m.APIVersion == "" || m.Kind == "" || m.Metadata.Name == "" {
				t.Fatalf("%s: a document without apiVersion, kind or metadata.name", f)
			}
			out[m.Kind+"/"+m.Metadata.Name] = m
		}
	}
	return out
}

// TestKubernetesExamples checks the manifests offline (kubectl's client
// dry run needs an API server for discovery): the kinds and API versions,
// the Indexed Job whose pods each run one shard of the same N, the merge
// Job, and that every volume names an object of the examples.
func TestKubernetesExamples(t *testing.T) {
	ms := loadManifests(t)
	want := map[string]string{
		"ConfigMap/remotectl-inventory":           "v1",
		"Secret/remotectl-ssh":                    "v1",
		"PersistentVolumeClaim/remotectl-reports": "v1",
		"Job/remotectl-exec":                      "batch/v1",
		"Job/remotectl-merge":                     "batch/v1",
	}
	for key, api := range want {
		if m := ms[key]; m == nil || m.APIVersion != api {
			t.Errorf("%s (%s) missing or of another apiVersion", key, api)
		}
	}
	if len(ms) != len(want) {
		t.Errorf("%d objects, want %d", len(ms), len(want))
	}
	if t.Failed() {
		return
	}
	if _, ok := ms["ConfigMap/remotectl-inventory"].Data["inventory.yaml"]; !ok {
		t.Error("the ConfigMap has no inventory.yaml")
	}
	for _, key := range []string{"id_ed25519", "known_hosts"} {
		if _, ok := ms["Secret/remotectl-ssh"].StringData[key]; !ok {
			t.Errorf("the Secret has no %s", key)
		}
	}
	if modes := ms["PersistentVolumeClaim/remotectl-reports"].Spec.AccessModes; len(modes) != 1 || modes[0] != "ReadWriteMany" {
		t.Errorf("the reports volume is %v: every pod of both Jobs mounts it, so ReadWriteMany", modes)
	}
	job := ms["Job/remotectl-exec"]
	if job.Spec.CompletionMode != "Indexed" || job.Spec.Completions == nil || job.Spec.Parallelism == nil {
		t.Fatalf("the exec Job must be Indexed with completions and parallelism")
	}
	script := shellOf(t, job)
	if !strings.Contains(script, "JOB_COMPLETION_INDEX") || !strings.Contains(script, "--shard") {
		t.Errorf("the exec Job does not shard on JOB_COMPLETION_INDEX:\n%s", script)
	}
	shards := envValue(job, "SHARDS")
	if shards != strconv.Itoa(*job.Spec.Completions) {
		t.Errorf("SHARDS=%s but completions=%d: shards would be missing or run twice", shards, *job.Spec.Completions)
	}
	for key, m := range ms {
		if m.Kind == "Job" {
			checkPod(t, key, &m.Spec.Template.Spec, ms)
		}
	}
	if merge := shellOf(t, ms["Job/remotectl-merge"]); !strings.Contains(merge, "remotectl report merge") {
		t.Errorf("the merge Job does not merge: %s", merge)
	}
}

// checkPod checks a Job's pod: restart policy, containers, and that every
// mount has a volume and every volume an object of the examples.
func checkPod(t *testing.T, key string, p *podSpec, ms map[string]*manifest) {
	if p.RestartPolicy != "Never" && p.RestartPolicy != "OnFailure" {
		t.Errorf("%s: restartPolicy %q: a Job's pods need Never or OnFailure", key, p.RestartPolicy)
	}
	volumes := map[string]bool{}
	for _, v := range p.Volumes {
		volumes[v.Name] = true
		var ref string
		switch {
		case v.ConfigMap != nil:
			ref = "ConfigMap/" + v.ConfigMap.Name
		case v.Secret != nil:
			ref = "Secret/" + v.Secret.SecretName
		case v.PersistentVolumeClaim != nil:
			ref = "PersistentVolumeClaim/" + v.PersistentVolumeClaim.ClaimName
		}
		if ms[ref] == nil {
			t.Errorf("%s: volume %s names %q, which the examples do not define", key, v.Name, ref)
		}
	}
	for _, c := range p.Containers {
		if c.Name == "" || c.Image == "" {
			t.Errorf("%s: a container without name or image", key)
		}
		for _, vm := range c.VolumeMounts {
			if !volumes[vm.Name] || !strings.HasPrefix(vm.MountPath, "/") {
				t.Errorf("%s: mount %s at %q has no volume or is not absolute", key, vm.Name, vm.MountPath)
			}
		}
	}
}

// shellOf returns the script of a Job's container (command: [/bin/sh, -c, SCRIPT]).
func shellOf(t *testing.T, m *manifest) string {
	t.Helper()
	cs := m.Spec.Template.Spec.Containers
	if len(cs) != 1 || len(cs[0].Command) != 3 || cs[0].Command[1] != "-c" {
		t.Fatalf("%s: want one container running /bin/sh -c SCRIPT", m.Metadata.Name)
	}
	return cs[0].Command[2]
}

func envValue(m *manifest, name string) string {
	for _, e := range m.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name && e.Value != nil {
			return *e.Value
		}
	}
	return ""
}

// TestKubernetesShardScript runs the exec Job's script as each pod would
// (JOB_COMPLETION_INDEX 0..N-1), with a remotectl that prints its
// arguments: pod i runs --shard i+1/N, writes shard-(i+1).json, and exits
// 0 for host outcomes (1-7) but not for usage errors (64).
func TestKubernetesShardScript(t *testing.T) {
	job := loadManifests(t)["Job/remotectl-exec"]
	script := strings.ReplaceAll(shellOf(t, job), "/reports/", "")
	n := *job.Spec.Completions
	bin := t.TempDir()
	stub := "#!/bin/sh\necho \"$@\"\nexit $STUB_CODE\n"
	if err := os.WriteFile(filepath.Join(bin, "remotectl"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	shardArg := regexp.MustCompile(`--shard (\d+)/(\d+) `)
	for i := range n {
		for code, wantExit := range map[string]int{"0": 0, "3": 0, "64": 64} {
			dir := t.TempDir()
			cmd := exec.Command("/bin/sh", "-c", script)
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "JOB_COMPLETION_INDEX=" + strconv.Itoa(i), "SHARDS=" + envValue(job, "SHARDS"), "STUB_CODE=" + code}
			err := cmd.Run()
			got := 0
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				got = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if got != wantExit {
				t.Errorf("pod %d, remotectl exit %s: the pod exits %d, want %d", i, code, got, wantExit)
			}
			out, err := os.ReadFile(filepath.Join(dir, "shard-"+strconv.Itoa(i+1)+".json"))
			if err != nil {
				t.Fatalf("pod %d: %v", i, err)
			}
			m := shardArg.FindStringSubmatch(string(out))
			if m == nil || m[1] != strconv.Itoa(i+1) || m[2] != strconv.Itoa(n) {
				t.Errorf("pod %d ran remotectl %s, want --shard %d/%d", i, out, i+1, n)
			}
		}
	}
}
