package remote

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ProgressFunc is told the bytes copied so far and the total (-1: not known
// yet), after each chunk of a transfer. It is called from the transferring
// goroutine.
type ProgressFunc func(done, total int64)

// TreeCopier is an optional capability: a transport that copies whole trees
// (SSH over SFTP), recursively, permission bits and symbolic links kept.
// PutTree copies the local file or directory localPath into remoteDir;
// GetTree copies remotePath into localDir/base(remotePath), following a
// remotePath that is a symbolic link as scp does. Both tell progress (which
// may be nil) the bytes copied and the total. Transports without it copy
// single files through Upload and Download.
type TreeCopier interface {
	PutTree(ctx context.Context, localPath, remoteDir string, progress ProgressFunc) error
	GetTree(ctx context.Context, remotePath, localDir string, progress ProgressFunc) error
}

// LocalSize is the total size of the regular files under the local file or
// directory root: what a PutTree of it copies.
func LocalSize(root string) (int64, error) {
	var total int64
	err := filepath.WalkDir(root, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			info, err := e.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	return total, err
}

// Progress adds up the bytes of one transfer, through any number of readers
// and writers, and tells them to a ProgressFunc. It is not safe for
// concurrent use.
type Progress struct {
	done, total int64
	fn          ProgressFunc
}

// NewProgress returns a Progress of a transfer of total bytes (-1: not
// known) that tells fn; fn may be nil.
func NewProgress(total int64, fn ProgressFunc) *Progress {
	return &Progress{total: total, fn: fn}
}

// Begin tells the total before any byte moves.
func (p *Progress) Begin() {
	if p.fn != nil {
		p.fn(0, p.total)
	}
}

func (p *Progress) add(n int) {
	if n <= 0 || p.fn == nil {
		return
	}
	p.done += int64(n)
	p.fn(p.done, p.total)
}

// Reader counts the bytes read through r.
func (p *Progress) Reader(r io.Reader) io.Reader { return &countingReader{r: r, p: p} }

// Writer counts the bytes written through w.
func (p *Progress) Writer(w io.Writer) io.Writer { return &countingWriter{w: w, p: p} }

type countingReader struct {
	r io.Reader
	p *Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(n)
	return n, err
}

type countingWriter struct {
	w io.Writer
	p *Progress
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.p.add(n)
	return n, err
}

// PutTree copies the local file or directory src into the directory dest
// of t: with t's TreeCopier when it has one, else a single file through
// Upload (a directory is then an error).
func PutTree(ctx context.Context, t Transport, src, dest string, p ProgressFunc) error {
	if tc, ok := t.(TreeCopier); ok {
		return tc.PutTree(ctx, src, dest, p)
	}
	// Transports without tree copy (local, WinRM): single files through Upload.
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return Errorf(ClassOther, "copy", "%s is a directory: recursive copy needs the ssh transport", src)
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return t.Upload(ctx, PutPath(t, dest, src), NewProgress(fi.Size(), p).Reader(f), fi.Mode().Perm())
}

// PutPath is the path PutTree gives the copy of the local src in the
// directory dest of t. Only transports without tree copy (whose OS is
// known without asking the host) are asked for their OS.
func PutPath(t Transport, dest, src string) string {
	if _, ok := t.(TreeCopier); ok {
		return path.Join(dest, filepath.Base(src))
	}
	return RemoteJoin(t.OS(), dest, filepath.Base(src))
}

// GetName is the name GetTree gives the local copy of src of t.
func GetName(t Transport, src string) string {
	if _, ok := t.(TreeCopier); ok {
		return path.Base(src)
	}
	return RemoteBase(t.OS(), src)
}

// RemoteJoin joins a directory and a name of a host's file system: with a
// backslash on Windows, a slash elsewhere.
func RemoteJoin(family OSFamily, dir, name string) string {
	if family != OSWindows {
		return path.Join(dir, name)
	}
	return strings.TrimRight(dir, `\/`) + `\` + name
}

// RemoteBase is the last element of a path of a host: on Windows either
// slash separates, as for Ansible's fetch (which turns a Windows host's
// backslashes into slashes).
func RemoteBase(family OSFamily, p string) string {
	if family == OSWindows {
		p = strings.ReplaceAll(p, `\`, "/")
	}
	return path.Base(p)
}

// GetTree copies the file or directory src of t into localDir: with t's
// TreeCopier when it has one, else a single file through Download, written
// beside its name and renamed into place once complete (a failed download
// leaves nothing behind).
func GetTree(ctx context.Context, t Transport, src, localDir string, p ProgressFunc) error {
	if tc, ok := t.(TreeCopier); ok {
		return tc.GetTree(ctx, src, localDir, p)
	}
	f, err := os.CreateTemp(localDir, ".remotectl-fetch-*")
	if err != nil {
		return err
	}
	err = t.Download(ctx, src, NewProgress(-1, p).Writer(f))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644) // as os.Create under the usual umask, not CreateTemp's 0600
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(localDir, GetName(t, src)))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
