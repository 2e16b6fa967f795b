package winrm

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// shQuote quotes s for /bin/sh.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// posixUpload and posixDownload speak the transfer line protocol of
// fileScripts in POSIX sh, for the test server, which runs scripts with
// /bin/sh: the Go side of Upload and Download is the same.
func posixUpload(dst string) string {
	return `dst=` + shQuote(dst) + `
tmp="$dst.remotectl-tmp"
dir=$(dirname "$dst")
[ -d "$dir" ] || { echo "Could not find a part of the path '$dst'." >&2; exit 2; }
[ -w "$dir" ] || { echo "Access to the path '$dst' is denied." >&2; exit 3; }
awk -v data="$tmp.b64" -v sum="$tmp.sum" 'index($0, "sha256:") == 1 { print substr($0, 8) > sum; exit } { print > data }' || exit 1
: >> "$tmp.b64"
if ! base64 -d < "$tmp.b64" > "$tmp"; then rm -f "$tmp" "$tmp.b64" "$tmp.sum"; echo "corrupt data" >&2; exit 1; fi
expected=$(cat "$tmp.sum" 2>/dev/null)
actual=$(sha256sum < "$tmp" | cut -d' ' -f1)
rm -f "$tmp.b64" "$tmp.sum"
if [ -z "$expected" ]; then rm -f "$tmp"; echo "the upload was cut short: no checksum arrived" >&2; exit 1; fi
if [ "$expected" != "$actual" ]; then rm -f "$tmp"; echo "checksum mismatch" >&2; exit 1; fi
mv -f "$tmp" "$dst" || exit 1
echo "sha256:$actual"
`
}

func posixDownload(src string) string {
	return `src=` + shQuote(src) + `
[ -e "$src" ] || { echo "Could not find file '$src'." >&2; exit 2; }
[ -r "$src" ] || { echo "Access to the path '$src' is denied." >&2; exit 3; }
[ -f "$src" ] || { echo "cannot read $src" >&2; exit 1; }
base64 -w 65536 < "$src"
echo "sha256:$(sha256sum < "$src" | cut -d' ' -f1)"
`
}

var posixScripts = fileScripts{upload: posixUpload, download: posixDownload}

// startPowerShellHostForFiles starts a test server whose PowerShell lines
// run in the PowerShell simulator, and dials it with the real transfer
// scripts (powershellScripts).
func startPowerShellHostForFiles(t *testing.T, opts remotetest.WSManOptions) (*remotetest.PowerShell, *Dialer, *Transport) {
	t.Helper()
	sim, err := remotetest.NewPowerShell(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts.PowerShell = sim
	_, target := startHost(t, opts, remote.WinRMSettings{})
	d := newTestDialer(Options{})
	d.scripts = powershellScripts
	return sim, d, dial(t, d, target)
}

// TestFileTransfer runs the real PowerShell transfer scripts, in the
// simulator: files of every size class (empty, one byte, exactly one
// chunk, several chunks and a partial one, 1 MiB), to a path with spaces,
// quotes and non-ASCII letters.
func TestFileTransfer(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts remotetest.WSManOptions
	}{
		{"basic over HTTPS", remotetest.WSManOptions{Auth: "basic", HTTPS: true}},
		{"NTLM sealed", remotetest.WSManOptions{Seal: true}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			sim, _, tr := startPowerShellHostForFiles(t, mode.opts)
			dir := filepath.Join(sim.Root, "Temp", "données été")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := `C:\Temp\données été\file with spaces & 'quotes' – 日本.bin`
			for _, size := range []int{0, 1, transferChunk, 3*transferChunk + 17, 1 << 20} {
				data := randomBytes(size, uint64(size))
				if err := tr.Upload(testContext(t), path, iotest.HalfReader(bytes.NewReader(data)), 0o644); err != nil {
					t.Fatalf("Upload of %d bytes: %v", size, err)
				}
				if got, err := os.ReadFile(sim.HostPath(path)); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("uploaded %d bytes, the file has %d (%v)", size, len(got), err)
				}
				var back bytes.Buffer
				if err := tr.Download(testContext(t), path, &back); err != nil {
					t.Fatalf("Download of %d bytes: %v", size, err)
				}
				if !bytes.Equal(back.Bytes(), data) {
					t.Fatalf("downloaded %d bytes, want %d", back.Len(), size)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) != 1 || entries[0].Name() != "file with spaces & 'quotes' – 日本.bin" {
				t.Errorf("the directory holds %v (%v), want the file only: no temporary file left", entries, err)
			}
		})
	}
}

func TestFileTransferErrors(t *testing.T) {
	sim, _, tr := startPowerShellHostForFiles(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true})

	// Files that do not exist are "not-found", not a generic error: the
	// scripts' exit code tells the class of the .NET exception.
	for _, path := range []string{`C:\Windows\Temp\missing`, `C:\no\such\dir\missing`} {
		err := tr.Download(testContext(t), path, io.Discard)
		if remote.ClassOf(err) != remote.ClassNotFound || !strings.HasPrefix(err.Error(), "not-found: download: ") ||
			!strings.Contains(err.Error(), "exit 2") || remote.HintOf(err) == "" {
			t.Errorf("Download of %s: %v (class %v)", path, err, remote.ClassOf(err))
		}
	}
	err := tr.Upload(testContext(t), `C:\no\such\dir\f`, strings.NewReader("x"), 0o644)
	if remote.ClassOf(err) != remote.ClassNotFound || !strings.Contains(err.Error(), "exit 2") ||
		!strings.Contains(err.Error(), `Could not find a part of the path 'C:\no\such\dir\f.remotectl-`) {
		t.Errorf("Upload into a missing directory: %v (class %v)", err, remote.ClassOf(err))
	}
	// .NET denies opening a directory as a file: UnauthorizedAccessException.
	err = tr.Download(testContext(t), `C:\Windows`, io.Discard)
	if remote.ClassOf(err) != remote.ClassPermission || !strings.Contains(err.Error(), `Exception calling "OpenRead" with "1" argument(s): "Access to the path 'C:\Windows' is denied." (exit 3)`) {
		t.Errorf("Download of a directory: %v (class %v)", err, remote.ClassOf(err))
	}
	readErr := errors.New("disk on fire")
	err = tr.Upload(testContext(t), `C:\Windows\Temp\partial`, io.MultiReader(strings.NewReader("some"), iotest.ErrReader(readErr)), 0o644)
	if !errors.Is(err, readErr) {
		t.Errorf("Upload of a failing reader: %v", err)
	}
	if leftovers, _ := os.ReadDir(sim.HostPath(`C:\Windows\Temp`)); len(leftovers) != 0 {
		t.Errorf("a failed upload left %v", leftovers)
	}
	if err := tr.Upload(testContext(t), "", strings.NewReader("x"), 0o644); err == nil {
		t.Error("an empty path was accepted")
	}
}

// TestFileTransferClientChecks: the checks are the client's own: scripts
// (here /bin/sh ones, on a server without the simulator) that report a
// wrong checksum, or none, are caught.
func TestFileTransferClientChecks(t *testing.T) {
	_, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true}, remote.WinRMSettings{})
	d := newTestDialer(Options{})
	tr := dial(t, d, target)
	dir := t.TempDir()
	path := filepath.Join(dir, "file")
	if err := os.WriteFile(path, []byte("payload"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.scripts = fileScripts{
		upload: func(dst string) string { return "cat > /dev/null; echo sha256:0000" },
		download: func(src string) string {
			return "base64 < " + shQuote(src) + "; echo sha256:" + strings.Repeat("0", 64)
		},
	}
	if err := tr.Upload(testContext(t), path, strings.NewReader("payload"), 0o644); err == nil || !strings.Contains(err.Error(), "did not confirm") {
		t.Errorf("Upload confirmed with a wrong checksum: %v", err)
	}
	if err := tr.Download(testContext(t), path, io.Discard); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("Download with a wrong checksum: %v", err)
	}
	d.scripts.download = func(src string) string { return "base64 < " + shQuote(src) }
	if err := tr.Download(testContext(t), path, io.Discard); err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("Download without a checksum: %v", err)
	}
}

func TestUploadReader(t *testing.T) {
	data := randomBytes(2*transferChunk+5, 3)
	in := newUploadReader(iotest.OneByteReader(bytes.NewReader(data)))
	if sum, err := in.result(); sum != "" || err != nil {
		t.Errorf("result before the end: %q, %v", sum, err)
	}
	all, err := io.ReadAll(iotest.HalfReader(in))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(all), "\n"), "\n")
	digest := sha256.Sum256(data)
	want := hex.EncodeToString(digest[:])
	if len(lines) != 4 || lines[3] != checksumPrefix+want {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	var decoded []byte
	for _, l := range lines[:3] {
		b, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, b...)
	}
	if !bytes.Equal(decoded, data) {
		t.Error("the lines do not decode to the data")
	}
	if sum, err := in.result(); sum != want || err != nil {
		t.Errorf("result = %q, %v", sum, err)
	}
}

func TestDownloadWriter(t *testing.T) {
	data := randomBytes(100000, 4)
	digest := sha256.Sum256(data)
	stream := base64.StdEncoding.EncodeToString(data[:60000]) + "\r\n" + base64.StdEncoding.EncodeToString(data[60000:]) + "\n" +
		checksumPrefix + hex.EncodeToString(digest[:])
	var dst bytes.Buffer
	w := newDownloadWriter(&dst)
	// In odd pieces, as Receive replies cut it.
	for s := stream; s != ""; {
		n := min(len(s), 777)
		if _, err := w.Write([]byte(s[:n])); err != nil {
			t.Fatal(err)
		}
		s = s[n:]
	}
	if err := w.finish(); err != nil || !bytes.Equal(dst.Bytes(), data) {
		t.Fatalf("finish: %v; %d bytes", err, dst.Len())
	}

	for name, stream := range map[string]string{
		"corrupt":         "not base64!\n",
		"after checksum":  "sha256:00\nQUJD\n",
		"empty checksum":  "sha256:\n",
		"no checksum":     "QUJD\n",
		"wrong checksum":  "QUJD\nsha256:" + strings.Repeat("0", 64) + "\n",
		"cut in the line": "QUJ",
	} {
		w := newDownloadWriter(io.Discard)
		_, _ = w.Write([]byte(stream))
		if err := w.finish(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestPowerShellScripts checks the Windows transfer scripts: the path is a
// literal, and the command line fits cmd.exe even for a long path.
func TestPowerShellScripts(t *testing.T) {
	path := `C:\Users\admin\it's here\` + strings.Repeat("x", 200) + ".bin"
	for name, script := range map[string]string{"upload": powershellUpload(path), "download": powershellDownload(path)} {
		if !strings.Contains(script, quotePowerShell(path)) {
			t.Errorf("%s script does not hold the quoted path", name)
		}
		line, err := transferCommand(script)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkCommandLine(line); err != nil {
			t.Errorf("%s command line: %v", name, err)
		}
		if !strings.Contains(script, checksumPrefix) {
			t.Errorf("%s script does not speak the checksum line", name)
		}
		if !strings.Contains(script, "(FailCode $_.Exception)") || !strings.Contains(script, "[System.UnauthorizedAccessException]") {
			t.Errorf("%s script does not exit with the class of its failure", name)
		}
	}
}

// TestPowerShellUploadScriptChecks runs the real upload script in the
// simulator with bad input: it refuses it, leaves the destination as it
// was and removes its temporary file.
func TestPowerShellUploadScriptChecks(t *testing.T) {
	sim, err := remotetest.NewPowerShell(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dst := `C:\Windows\Temp\kept.txt`
	if err := os.WriteFile(sim.HostPath(dst), []byte("before"), 0o644); err != nil {
		t.Fatal(err)
	}
	abc := sha256.Sum256([]byte("ABC"))
	zeros := strings.Repeat("0", 64)
	for _, tc := range []struct{ name, stdin, want string }{
		{"wrong checksum", "QUJD\n" + checksumPrefix + zeros + "\n", "checksum mismatch: sent " + zeros + ", wrote " + hex.EncodeToString(abc[:])},
		{"no checksum", "QUJD\r\n", "the upload was cut short: no checksum arrived"},
		{"corrupt data", "not base64!\n" + checksumPrefix + zeros + "\n", `Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			var stdout, stderr strings.Builder
			code := sim.Run(ctx, powershellUpload(dst), strings.NewReader(tc.stdin), &stdout, &stderr, "", nil)
			if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout.String(), stderr.String(), tc.want)
			}
			entries, _ := os.ReadDir(sim.HostPath(`C:\Windows\Temp`))
			if got, _ := os.ReadFile(sim.HostPath(dst)); string(got) != "before" || len(entries) != 1 {
				t.Errorf("the destination has %q, the directory %v", got, entries)
			}
		})
	}
	// Data after the checksum line is ignored; the answer is the checksum.
	var stdout, stderr strings.Builder
	code := sim.Run(testContext(t), powershellUpload(dst), strings.NewReader("QUJD\n"+checksumPrefix+hex.EncodeToString(abc[:])+"\nQUJD\n"), &stdout, &stderr, "", nil)
	if got, _ := os.ReadFile(sim.HostPath(dst)); code != 0 || string(got) != "ABC" || stdout.String() != checksumPrefix+hex.EncodeToString(abc[:])+"\n" {
		t.Errorf("exit %d, stdout %q, stderr %q, file %q", code, stdout.String(), stderr.String(), got)
	}
}
