//go:build unix

package ssh

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestUploadDownload(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{SFTP: true})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))
	dir := t.TempDir()
	dst := filepath.Join(dir, "script.sh")
	content := "#!/bin/sh\necho \xff binary \x00 ok\n"
	if err := tr.Upload(testContext(t), dst, strings.NewReader(content), 0o751); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o751 {
		t.Errorf("mode %v, want 0751", st.Mode().Perm())
	}
	// Replacing keeps readers safe: no temporary file is left behind.
	if err := tr.Upload(testContext(t), dst, strings.NewReader(content+"v2\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file", len(entries))
	}
	var got bytes.Buffer
	if err := tr.Download(testContext(t), dst, &got); err != nil {
		t.Fatal(err)
	}
	if got.String() != content+"v2\n" {
		t.Errorf("downloaded %q", got.String())
	}
	err = tr.Download(testContext(t), filepath.Join(dir, "missing"), &got)
	wantClass(t, err, remote.ClassNotFound)
	// class: op: what happened, the op said once.
	if msg := err.Error(); !strings.HasPrefix(msg, "not-found: download: "+filepath.Join(dir, "missing")+" on ") || strings.Count(msg, "download") != 1 {
		t.Errorf("error %q, want not-found: download: PATH on HOST: ...", msg)
	}
	err = tr.Upload(testContext(t), filepath.Join(dir, "no/such/dir/f"), strings.NewReader("x"), 0o600)
	wantClass(t, err, remote.ClassNotFound)
	if n := srv.ConnCount(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestPutTreeGetTree(t *testing.T) {
	srv, key := startShServer(t, remotetest.SSHServerOptions{SFTP: true})
	d := newTestDialer(t, Options{})
	tr := dialTransport(t, d, serverTarget(t, srv, key))

	src := filepath.Join(t.TempDir(), "app")
	writeFile(t, src, "bin/run", "#!/bin/sh\n")
	writeFile(t, src, "conf/app.conf", strings.Repeat("k=v\n", 1000))
	writeFile(t, src, "README", "read me")
	if err := os.Chmod(filepath.Join(src, "bin/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("conf/app.conf", filepath.Join(src, "current.conf")); err != nil {
		t.Fatal(err)
	}
	remoteDir := filepath.Join(t.TempDir(), "deploy", "here")
	var last, calls int64
	var total int64
	err := tr.PutTree(testContext(t), src, remoteDir, func(done, tot int64) { last, total = done, tot; calls++ })
	if err != nil {
		t.Fatal(err)
	}
	wantTotal := int64(len("#!/bin/sh\n") + 4000 + len("read me"))
	if total != wantTotal || last != wantTotal || calls == 0 {
		t.Errorf("progress ended at %d/%d after %d calls, want %d", last, total, calls, wantTotal)
	}
	uploaded := filepath.Join(remoteDir, "app")
	assertSameTree(t, src, uploaded)

	localDir := filepath.Join(t.TempDir(), "fetched", "host1")
	if err := tr.GetTree(testContext(t), uploaded, localDir, nil); err != nil {
		t.Fatal(err)
	}
	assertSameTree(t, src, filepath.Join(localDir, "app"))

	// A single file works too.
	if err := tr.GetTree(testContext(t), filepath.Join(uploaded, "README"), localDir, nil); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(localDir, "README")); string(data) != "read me" {
		t.Errorf("single file fetched as %q", data)
	}
}

// assertSameTree compares two local trees: names, contents, permission
// bits and symbolic links.
func assertSameTree(t *testing.T, want, got string) {
	t.Helper()
	list := func(root string) []string {
		var out []string
		err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			entry := rel + " " + info.Mode().String()
			switch {
			case info.Mode()&os.ModeSymlink != 0:
				target, _ := os.Readlink(p)
				entry += " -> " + target
			case info.Mode().IsRegular():
				data, _ := os.ReadFile(p)
				entry += " " + string(data)
			case info.IsDir() && rel == ".":
				entry = "." // the roots' own modes may differ
			}
			out = append(out, entry)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return out
	}
	w, g := list(want), list(got)
	if strings.Join(w, "\n") != strings.Join(g, "\n") {
		t.Errorf("trees differ:\nwant:\n%s\ngot:\n%s", strings.Join(w, "\n"), strings.Join(g, "\n"))
	}
}
