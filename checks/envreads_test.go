package checks

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestLoaderEnvRead: the environment variables the templates of loaded
// files read, in values and in whole-file templates, every branch; reading
// it without a written name is any.
func TestLoaderEnvRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	values := write("values.yaml", `
command:
  "echo {{ .Env.A_TOKEN }}":
    exit-status: 0
    stdout: ["{{ getEnv \"B_VALUE\" \"default\" }}", "{{ env \"C_VALUE\" }}", "{{ $.Env.D_VALUE }}"]
`)
	whole := write("whole.yaml", `
{{ if eq .Vars.never "x" }}
file:
  {{ .Env.E_VALUE }}: {exists: true}
{{ end }}
file:
  /etc/passwd: {exists: true}
`)
	h := HostInfo{Name: "h", Vars: map[string]any{"never": "y"}, Env: map[string]string{"A_TOKEN": "a"}}
	l := &Loader{}
	if _, err := l.Load([]string{values, whole}, h); err != nil {
		t.Fatal(err)
	}
	names, anyRead := l.EnvRead()
	if want := []string{"A_TOKEN", "B_VALUE", "C_VALUE", "D_VALUE", "E_VALUE"}; !reflect.DeepEqual(names, want) || anyRead {
		t.Errorf("EnvRead = %q, %v; want %q, false", names, anyRead, want)
	}
	for _, text := range []string{
		"{{ range $k, $v := .Env }}{{ end }}\nfile: {/etc/passwd: {exists: true}}\n",
		"{{ with .Env }}{{ .X }}{{ end }}\nfile: {/etc/passwd: {exists: true}}\n",
		"file: {\"/etc/{{ getEnv .Vars.name }}\": {exists: true}}\n",
		"file: {\"/etc/{{ expandenv \\\"$HOME\\\" }}\": {exists: true}}\n",
	} {
		l := &Loader{}
		h := HostInfo{Name: "h", Vars: map[string]any{"name": "passwd"}}
		if _, err := l.Load([]string{write("any.yaml", text)}, h); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if _, any := l.EnvRead(); !any {
			t.Errorf("%q: any = false, want true", text)
		}
	}
}
