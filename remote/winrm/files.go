package winrm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"strings"
	"sync"

	"github.com/remotectl/remotectl/remote"
)

// Files are copied by a script on the host (PowerShell), with the data as
// lines of base64 on the script's standard input (upload) or output
// (download) — never on the command line, which cmd.exe caps at 8191
// characters. The last line is "sha256:<hex digest>" of the data; the
// receiving side checks it.

const (
	// transferChunk is the data carried by one base64 line: 48 KiB, a
	// 64 KiB line.
	transferChunk = 48 << 10
	// checksumPrefix starts the last line of a transfer.
	checksumPrefix = "sha256:"
	// maxErrorOutput is how much of a transfer script's error output is
	// kept for the error message.
	maxErrorOutput = 4 << 10
)

// fileScripts builds the scripts behind Upload and Download. Each speaks
// the line protocol above: upload(dst) reads base64 lines until the
// checksum line, verifies, moves the data into place and prints the
// checksum line; download(src) prints the file as base64 lines and the
// checksum line. Both exit non-zero with a message on standard error when
// they fail: exitNotFound when the file (or its directory) does not exist,
// exitDenied when access to it is denied, 1 otherwise.
type fileScripts struct {
	upload   func(dst string) string
	download func(src string) string
}

// Exit codes of the transfer scripts that tell the failure's class.
const (
	exitNotFound = 2
	exitDenied   = 3
)

// psFailCode is a PowerShell function giving the exit code of an exception
// (see exitNotFound), looking through the wrappers .NET calls add.
var psFailCode = `function FailCode($e) {
    for (; $e; $e = $e.InnerException) {
        if ($e -is [System.IO.FileNotFoundException] -or $e -is [System.IO.DirectoryNotFoundException] -or $e -is [System.Management.Automation.ItemNotFoundException]) { return ` + fmt.Sprint(exitNotFound) + ` }
        if ($e -is [System.UnauthorizedAccessException]) { return ` + fmt.Sprint(exitDenied) + ` }
    }
    return 1
}
`

// powershellScripts are the Windows implementation.
var powershellScripts = fileScripts{upload: powershellUpload, download: powershellDownload}

// powershellUpload writes beside dst, then replaces dst once the checksum
// matched, so dst is never left half written. Its input is read by a
// process block: one line at a time, not all at once.
func powershellUpload(dst string) string {
	return `begin {
    ` + psFailCode + `    function Fail([string]$message, [int]$code = 1) {
        if ($script:tmp -and (Test-Path -LiteralPath $script:tmp)) { Remove-Item -LiteralPath $script:tmp -Force -ErrorAction SilentlyContinue }
        [Console]::Error.WriteLine($message)
        exit $code
    }
    trap { Fail $_.Exception.Message (FailCode $_.Exception) }
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'
    $path = [System.IO.Path]::GetFullPath(` + quotePowerShell(dst) + `)
    $script:tmp = $path + '.remotectl-' + [Guid]::NewGuid().ToString('N')
    $sha = [System.Security.Cryptography.SHA256]::Create()
    $expected = $null
    $file = [System.IO.File]::Create($script:tmp)
}
process {
    trap { Fail $_.Exception.Message (FailCode $_.Exception) }
    if ($null -ne $expected) { return }
    if ($_.StartsWith('` + checksumPrefix + `')) { $expected = $_.Substring(` + fmt.Sprint(len(checksumPrefix)) + `); return }
    $bytes = [Convert]::FromBase64String($_)
    $file.Write($bytes, 0, $bytes.Length)
    [void]$sha.TransformBlock($bytes, 0, $bytes.Length, $null, 0)
}
end {
    trap { Fail $_.Exception.Message (FailCode $_.Exception) }
    $file.Dispose()
    [void]$sha.TransformFinalBlock([byte[]]::new(0), 0, 0)
    $actual = [BitConverter]::ToString($sha.Hash).Replace('-', '').ToLowerInvariant()
    if ($null -eq $expected) { Fail 'the upload was cut short: no checksum arrived' }
    if ($actual -ne $expected) { Fail "checksum mismatch: sent $expected, wrote $actual" }
    Move-Item -LiteralPath $script:tmp -Destination $path -Force
    [Console]::Out.Write('` + checksumPrefix + `' + $actual + "` + "`" + `n")
}
`
}

// powershellDownload prints the file in base64 lines as it reads it.
func powershellDownload(src string) string {
	return psFailCode + `$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
trap { [Console]::Error.WriteLine($_.Exception.Message); exit (FailCode $_.Exception) }
$file = [System.IO.File]::OpenRead(` + quotePowerShell(src) + `)
$sha = [System.Security.Cryptography.SHA256]::Create()
$buffer = [byte[]]::new(` + fmt.Sprint(transferChunk) + `)
$out = [Console]::Out
while (($n = $file.Read($buffer, 0, $buffer.Length)) -gt 0) {
    [void]$sha.TransformBlock($buffer, 0, $n, $null, 0)
    $out.Write([Convert]::ToBase64String($buffer, 0, $n))
    $out.Write("` + "`" + `n")
}
$file.Dispose()
[void]$sha.TransformFinalBlock($buffer, 0, 0)
$out.Write('` + checksumPrefix + `' + [BitConverter]::ToString($sha.Hash).Replace('-', '').ToLowerInvariant() + "` + "`" + `n")
$out.Flush()
`
}

// Upload writes src to the file dst on the host, streaming it through a
// PowerShell script's standard input, and checks its SHA-256 on both sides.
// dst is replaced only once all the data arrived intact. mode is ignored:
// Windows files have ACLs, inherited from the directory.
func (t *Transport) Upload(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error {
	if t.target.Become {
		return errBecome(opUpload)
	}
	if err := checkPath(dst); err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: opUpload, Err: err}
	}
	line, err := transferCommand(t.d.scripts.upload(dst))
	if err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: opUpload, Err: err}
	}
	in := newUploadReader(src)
	var stdout, stderr limitedBuffer
	res, err := t.exec(ctx, opUpload, line, execIO{stdin: in, stdout: &stdout, stderr: &stderr})
	in.stop()
	if err != nil {
		return err
	}
	sum, readErr := in.result()
	switch {
	case readErr != nil:
		return &remote.Error{Class: remote.ClassOther, Op: opUpload,
			Err: fmt.Errorf("reading the data to upload to %s: %w", dst, readErr)}
	case res.ExitCode != 0:
		return transferError(opUpload, dst, res.ExitCode, stderr.String())
	case sum == "" || strings.TrimSpace(stdout.String()) != checksumPrefix+sum:
		return &remote.Error{Class: remote.ClassOther, Op: opUpload,
			Err:  fmt.Errorf("%s: the host did not confirm the checksum %s (it answered %q)", dst, sum, snippet(stdout.Bytes())),
			Hint: "the file may be incomplete on the host: upload it again"}
	}
	return nil
}

// Download writes the content of the file src on the host to dst,
// streaming it from a PowerShell script's output, and checks its SHA-256.
// After a failure dst may hold part of the file.
func (t *Transport) Download(ctx context.Context, src string, dst io.Writer) error {
	if t.target.Become {
		return errBecome(opDownload)
	}
	if err := checkPath(src); err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: opDownload, Err: err}
	}
	line, err := transferCommand(t.d.scripts.download(src))
	if err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: opDownload, Err: err}
	}
	out := newDownloadWriter(dst)
	var stderr limitedBuffer
	res, err := t.exec(ctx, opDownload, line, execIO{stdout: out, stderr: &stderr})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return transferError(opDownload, src, res.ExitCode, stderr.String())
	}
	if err := out.finish(); err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: opDownload, Err: fmt.Errorf("%s: %w", src, err),
			Hint: "the copy is incomplete or corrupt: download it again"}
	}
	return nil
}

// transferCommand is the command line of a transfer script. Unlike
// powershellCommand it adds no powershellPreamble: the upload script is
// made of named blocks (begin, process, end), which PowerShell recognizes
// only at the very start of a script; after a statement they are command
// names ("The term 'begin' is not recognized"). The scripts set
// $ProgressPreference themselves.
func transferCommand(script string) (string, error) {
	if _, err := powershellCommand(script); err != nil { // its checks of the text
		return "", err
	}
	return powershellPrefix + encodePowerShell(script), nil
}

// checkPath refuses paths a script cannot name.
func checkPath(path string) error {
	if path == "" {
		return errors.New("empty path")
	}
	if err := checkText(path); err != nil {
		return fmt.Errorf("path %q: %w", path, err)
	}
	if strings.ContainsAny(path, "\r\n") {
		return fmt.Errorf("path %q contains a line break", path)
	}
	return nil
}

// transferError reports a transfer script that failed, with its message,
// classified by its exit code (see fileScripts).
func transferError(op, path string, exitCode int, stderr string) error {
	msg := collapseSpace(stderr)
	if msg == "" {
		msg = "no error message"
	}
	e := &remote.Error{Class: remote.ClassOther, Op: op,
		Err:  fmt.Errorf("%s: %s (exit %d)", path, msg, exitCode),
		Hint: "check the path and that the user may access it"}
	switch exitCode {
	case exitNotFound:
		e.Class, e.Hint = remote.ClassNotFound, "check the path: it (or its directory) does not exist on the host"
	case exitDenied:
		e.Class, e.Hint = remote.ClassPermission, "the user may not access the path: check its ACL, or use an account that may"
	}
	return e
}

// uploadReader turns the data to upload into the script's input: base64
// lines of transferChunk bytes, then the checksum line. It is read by the
// stdin feeder's goroutine; result and stop are safe to call from another.
type uploadReader struct {
	src     io.Reader
	hash    hash.Hash
	raw     []byte
	pending []byte
	done    bool

	mu      sync.Mutex
	sum     string
	err     error
	stopped bool
}

// errUploadOver is what the reader returns once the upload is over.
var errUploadOver = errors.New("the upload is over")

// stop ends the reading of the source: once Upload returned, the caller's
// reader is not read any more.
func (u *uploadReader) stop() {
	u.mu.Lock()
	u.stopped = true
	u.mu.Unlock()
}

func newUploadReader(src io.Reader) *uploadReader {
	return &uploadReader{src: src, hash: sha256.New(), raw: make([]byte, transferChunk)}
}

func (u *uploadReader) Read(p []byte) (int, error) {
	for len(u.pending) == 0 {
		if u.done {
			return 0, io.EOF
		}
		if err := u.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, u.pending)
	u.pending = u.pending[n:]
	return n, nil
}

// fill reads the next chunk of the source and encodes it; at the end of the
// source it adds the checksum line.
func (u *uploadReader) fill() error {
	u.mu.Lock()
	stopped := u.stopped
	u.mu.Unlock()
	if stopped {
		return errUploadOver
	}
	n, err := io.ReadFull(u.src, u.raw)
	if n > 0 {
		u.hash.Write(u.raw[:n])
		u.pending = base64.StdEncoding.AppendEncode(u.pending[:0], u.raw[:n])
		u.pending = append(u.pending, '\n')
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		sum := hex.EncodeToString(u.hash.Sum(nil))
		u.pending = append(u.pending, checksumPrefix+sum+"\n"...)
		u.done = true
		u.mu.Lock()
		u.sum = sum
		u.mu.Unlock()
		return nil
	default:
		u.mu.Lock()
		u.err = err
		u.mu.Unlock()
		return err
	}
}

// result returns the checksum of everything read ("" until the source
// ended) and the error reading the source, if any.
func (u *uploadReader) result() (sum string, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sum, u.err
}

// downloadWriter decodes a download script's output into dst as it
// arrives, hashing it, until the checksum line.
type downloadWriter struct {
	dst      io.Writer
	hash     hash.Hash
	line     []byte // an incomplete line
	expected string // from the checksum line
	err      error
}

func newDownloadWriter(dst io.Writer) *downloadWriter {
	return &downloadWriter{dst: dst, hash: sha256.New()}
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			d.line = append(d.line, p...)
			break
		}
		d.line = append(d.line, p[:i]...)
		p = p[i+1:]
		if err := d.handleLine(d.line); err != nil {
			d.err = err
			return 0, err
		}
		d.line = d.line[:0]
	}
	return n, nil
}

// handleLine decodes one line of data, or takes the checksum line.
func (d *downloadWriter) handleLine(line []byte) error {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if d.expected != "" {
		if len(line) == 0 {
			return nil
		}
		return errors.New("output after the checksum line")
	}
	if sum, ok := bytes.CutPrefix(line, []byte(checksumPrefix)); ok {
		if len(sum) == 0 {
			return errors.New("empty checksum line")
		}
		d.expected = string(sum)
		return nil
	}
	data, err := base64.StdEncoding.AppendDecode(nil, line)
	if err != nil {
		return fmt.Errorf("corrupt data from the host: %w", err)
	}
	d.hash.Write(data)
	if _, err := d.dst.Write(data); err != nil {
		return fmt.Errorf("writing the downloaded data: %w", err)
	}
	return nil
}

// finish checks that the data ended with a checksum line that matches.
func (d *downloadWriter) finish() error {
	if d.err == nil && len(d.line) > 0 {
		if err := d.handleLine(d.line); err != nil {
			d.err = err
		}
		d.line = nil
	}
	if d.err != nil {
		return d.err
	}
	if d.expected == "" {
		return errors.New("the download was cut short: no checksum arrived")
	}
	if got := hex.EncodeToString(d.hash.Sum(nil)); got != strings.ToLower(d.expected) {
		return fmt.Errorf("checksum mismatch: the host sent %s, the data received hashes to %s", d.expected, got)
	}
	return nil
}

// limitedBuffer keeps the first maxErrorOutput bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxErrorOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
