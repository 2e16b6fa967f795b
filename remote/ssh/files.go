package ssh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"

	"github.com/remotectl/remotectl/remote"
)

// sftpClient returns the transport's SFTP client, starting it on first use.
func (t *Transport) sftpClient() (*sftp.Client, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errors.New("the transport is closed")
	}
	if t.sftp != nil {
		return t.sftp, nil
	}
	c, err := sftp.NewClient(t.c.client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return nil, fmt.Errorf("start SFTP (is the sftp subsystem enabled in sshd_config?): %w", err)
	}
	t.sftp = c
	return c, nil
}

// becomeActive reports whether transfers go through sudo.
func (t *Transport) becomeActive() bool { return t.target.Become }

// Upload writes src to the file dst on the host with the given permission
// bits: into a temporary file beside dst, then renamed over it, so that
// readers never see a partial file. With become, the data is piped through
// sudo (`cat` into the temporary file as the become user) instead of SFTP.
func (t *Transport) Upload(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error {
	if t.becomeActive() {
		return t.uploadBecome(ctx, dst, src, mode)
	}
	err := t.uploadSFTP(ctx, dst, src, mode)
	return t.fileError(ctx, opUpload, dst, err)
}

func (t *Transport) uploadSFTP(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error {
	c, err := t.sftpClient()
	if err != nil {
		return err
	}
	tmp := tempName(dst)
	f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			c.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode.Perm()); err != nil {
		return err
	}
	if _, err := f.ReadFrom(ctxReader{ctx, src}); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if _, posix := c.HasExtension("posix-rename@openssh.com"); posix {
		err = c.PosixRename(tmp, dst)
	} else {
		c.Remove(dst)
		err = c.Rename(tmp, dst)
	}
	if err != nil {
		return err
	}
	ok = true
	return nil
}

// uploadBecome streams src through sudo into dst.
func (t *Transport) uploadBecome(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error {
	tmp := tempName(dst)
	script := fmt.Sprintf("umask 077 && cat > %s && chmod %o %s && mv -f %s %s || { rm -f %s; exit 1; }",
		quote(tmp), mode.Perm(), quote(tmp), quote(tmp), quote(dst), quote(tmp))
	return t.runFileCommand(ctx, opUpload, dst, script, src, io.Discard)
}

// Download copies the file src on the host to dst. With become, the file
// is read through sudo (`cat`).
func (t *Transport) Download(ctx context.Context, src string, dst io.Writer) error {
	if t.becomeActive() {
		return t.runFileCommand(ctx, opDownload, src, "cat -- "+quote(src), nil, dst)
	}
	err := t.downloadSFTP(ctx, src, dst)
	return t.fileError(ctx, opDownload, src, err)
}

func (t *Transport) downloadSFTP(ctx context.Context, src string, dst io.Writer) error {
	c, err := t.sftpClient()
	if err != nil {
		return err
	}
	f, err := c.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(ctxWriter{ctx, dst}, f)
	return err
}

// runFileCommand runs a transfer helper through sudo, failing on a
// non-zero exit with the command's message.
func (t *Transport) runFileCommand(ctx context.Context, op, file, script string, stdin io.Reader, stdout io.Writer) error {
	var stderr strings.Builder
	res, err := t.Run(ctx, &remote.Cmd{Shell: script, Stdin: stdin, Stdout: stdout, Stderr: &limitedWriter{w: &stderr, n: 4096}})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return &remote.Error{Class: remote.ClassOther, Op: op,
			Err: fmt.Errorf("%s on %s: %s", file, t.p.name, firstLine(stderr.String()))}
	}
	return nil
}

// fileError classifies a transfer failure.
func (t *Transport) fileError(ctx context.Context, op, file string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return classify(op, ctx.Err())
	}
	var re *remote.Error
	if errors.As(err, &re) {
		return err
	}
	if lost := t.c.ka.lost(); lost != nil {
		return &remote.Error{Class: remote.ClassLost, Op: op, Err: lost, Hint: hintLost}
	}
	werr := fmt.Errorf("%s on %s: %w", file, t.p.name, err) // the op leads the error already
	if errors.Is(err, fs.ErrPermission) && !t.becomeActive() {
		return &remote.Error{Class: remote.ClassPermission, Op: op, Err: werr,
			Hint: fmt.Sprintf("%s may not access it: become another user with --become (sudo), or set become in the inventory", t.p.user)}
	}
	var se *sftp.StatusError
	if errors.As(err, &se) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return &remote.Error{Class: remote.FileClass(err), Op: op, Err: werr}
	}
	return classify(op, werr)
}

// PutTree copies the local file or directory localPath into the directory
// remoteDir on the host (remoteDir/base(localPath)), creating directories
// as needed and keeping permission bits and symbolic links. progress may be
// nil.
func (t *Transport) PutTree(ctx context.Context, localPath, remoteDir string, progress remote.ProgressFunc) error {
	root := filepath.Clean(localPath)
	total, err := remote.LocalSize(root)
	if err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: opUpload, Err: err}
	}
	pr := remote.NewProgress(total, progress)
	pr.Begin()
	base := path.Join(remoteDir, filepath.Base(root))
	if err := t.mkdirAll(ctx, remoteDir); err != nil {
		return err
	}
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return &remote.Error{Class: remote.ClassOther, Op: opUpload, Err: err}
		}
		if err := ctx.Err(); err != nil {
			return classify(opUpload, err)
		}
		rel, _ := filepath.Rel(root, p)
		dst := base
		if rel != "." {
			dst = path.Join(base, filepath.ToSlash(rel))
		}
		info, err := e.Info()
		if err != nil {
			return &remote.Error{Class: remote.ClassOther, Op: opUpload, Err: err}
		}
		switch {
		case e.IsDir():
			return t.mkdir(ctx, dst, info.Mode().Perm())
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return &remote.Error{Class: remote.ClassOther, Op: opUpload, Err: err}
			}
			return t.symlink(ctx, target, dst)
		case e.Type().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return &remote.Error{Class: remote.ClassOther, Op: opUpload, Err: err}
			}
			defer f.Close()
			return t.Upload(ctx, dst, pr.Reader(f), info.Mode().Perm())
		}
		return nil // sockets, devices and pipes are not copied
	})
}

// GetTree copies the remote file or directory remotePath into the local
// directory localDir (localDir/base(remotePath)), creating directories as
// needed and keeping permission bits and symbolic links. A remotePath that
// is itself a symbolic link is followed, as scp and Ansible's fetch do: the
// copy is named after the link and holds what it points to. With become,
// remotePath must be a file, read through sudo. progress may be nil.
func (t *Transport) GetTree(ctx context.Context, remotePath, localDir string, progress remote.ProgressFunc) error {
	if err := os.MkdirAll(localDir, 0o755); err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: opDownload, Err: err}
	}
	root := path.Clean(remotePath)
	base := filepath.Join(localDir, path.Base(root))
	if t.becomeActive() {
		return t.getFileBecome(ctx, root, base, progress)
	}
	c, err := t.sftpClient()
	if err != nil {
		return t.fileError(ctx, opDownload, remotePath, err)
	}
	entries, total, err := remoteTree(c, root)
	if err != nil {
		return t.fileError(ctx, opDownload, remotePath, err)
	}
	pr := remote.NewProgress(total, progress)
	pr.Begin()
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return classify(opDownload, err)
		}
		dst := base
		if e.rel != "." {
			dst = filepath.Join(base, filepath.FromSlash(e.rel))
		}
		if err := t.getEntry(ctx, c, e, dst, pr); err != nil {
			return err
		}
	}
	return nil
}

// getFileBecome copies the remote file src to the local file dst through
// sudo: its mode and size with stat, then its bytes with cat. Directories
// are refused: sudo offers no way to list a tree that this could trust.
func (t *Transport) getFileBecome(ctx context.Context, src, dst string, progress remote.ProgressFunc) error {
	// GNU stat, then BSD stat; -L follows a symbolic link, as cat does.
	script := fmt.Sprintf("if test -d %[1]s; then echo %[2]s >&2; exit 1; fi; stat -L -c '%%a %%s' -- %[1]s 2>/dev/null || stat -L -f '%%Lp %%z' -- %[1]s",
		quote(src), quote("is a directory: with become, only single files are fetched"))
	var out strings.Builder
	if err := t.runFileCommand(ctx, opDownload, src, script, nil, &limitedWriter{w: &out, n: 256}); err != nil {
		return err
	}
	var mode fs.FileMode
	var size int64
	if _, err := fmt.Sscanf(out.String(), "%o %d", &mode, &size); err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: opDownload,
			Err: fmt.Errorf("%s on %s: unexpected stat output %q", src, t.p.name, firstLine(out.String()))}
	}
	pr := remote.NewProgress(size, progress)
	pr.Begin()
	err := writeLocalFile(dst, mode.Perm(), func(w io.Writer) error { return t.Download(ctx, src, pr.Writer(w)) })
	if err != nil {
		return t.fileError(ctx, opDownload, src, err)
	}
	return nil
}

// remoteEntry is one file of a remote tree.
type remoteEntry struct {
	path string // on the host
	rel  string // relative to the tree's root, "." for the root
	info fs.FileInfo
}

// remoteTree lists a remote tree (without following symbolic links, but
// for the root's) and the total size of its regular files. A root that is
// a link to a directory is walked where it points; its entries keep their
// names relative to the root.
func remoteTree(c *sftp.Client, root string) ([]remoteEntry, int64, error) {
	info, err := c.Stat(root)
	if err != nil {
		return nil, 0, err
	}
	if !info.IsDir() {
		return []remoteEntry{{path: root, rel: ".", info: info}}, max(info.Size(), 0), nil
	}
	walkRoot := root
	if linfo, err := c.Lstat(root); err == nil && linfo.Mode()&fs.ModeSymlink != 0 {
		if walkRoot, err = c.RealPath(root); err != nil {
			return nil, 0, err
		}
	}
	var entries []remoteEntry
	var total int64
	w := c.Walk(walkRoot)
	for w.Step() {
		if err := w.Err(); err != nil {
			return nil, 0, err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(w.Path(), walkRoot), "/")
		if rel == "" {
			rel = "."
		}
		info := w.Stat()
		entries = append(entries, remoteEntry{path: w.Path(), rel: rel, info: info})
		if info.Mode().IsRegular() {
			total += info.Size()
		}
	}
	return entries, total, nil
}

// getEntry creates one local file, directory or symbolic link.
func (t *Transport) getEntry(ctx context.Context, c *sftp.Client, e remoteEntry, dst string, pr *remote.Progress) error {
	mode := e.info.Mode()
	fail := func(err error) error { return t.fileError(ctx, opDownload, e.path, err) }
	switch {
	case mode.IsDir():
		if err := os.MkdirAll(dst, 0o700); err != nil {
			return fail(err)
		}
		return fail(os.Chmod(dst, mode.Perm()|0o700))
	case mode&fs.ModeSymlink != 0:
		target, err := c.ReadLink(e.path)
		if err != nil {
			return fail(err)
		}
		os.Remove(dst)
		return fail(os.Symlink(target, dst))
	case mode.IsRegular():
		err := writeLocalFile(dst, mode.Perm(), func(w io.Writer) error { return t.downloadSFTP(ctx, e.path, pr.Writer(w)) })
		return fail(err)
	}
	return nil
}

// writeLocalFile writes the local file dst with fill, through a temporary
// file renamed over dst once complete, and gives it mode.
func writeLocalFile(dst string, mode fs.FileMode, fill func(io.Writer) error) error {
	tmp := localTempName(dst)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode|0o600)
	if err != nil {
		return err
	}
	err = fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// mkdirAll creates a remote directory and its parents.
func (t *Transport) mkdirAll(ctx context.Context, dir string) error {
	if t.becomeActive() {
		return t.runFileCommand(ctx, opUpload, dir, "mkdir -p -- "+quote(dir), nil, io.Discard)
	}
	c, err := t.sftpClient()
	if err == nil {
		err = c.MkdirAll(dir)
	}
	return t.fileError(ctx, opUpload, dir, err)
}

// mkdir creates one remote directory (fine if it exists) with mode.
func (t *Transport) mkdir(ctx context.Context, dir string, mode fs.FileMode) error {
	if t.becomeActive() {
		script := fmt.Sprintf("mkdir -p -- %s && chmod %o %s", quote(dir), mode, quote(dir))
		return t.runFileCommand(ctx, opUpload, dir, script, nil, io.Discard)
	}
	c, err := t.sftpClient()
	if err != nil {
		return t.fileError(ctx, opUpload, dir, err)
	}
	if err := c.MkdirAll(dir); err != nil {
		return t.fileError(ctx, opUpload, dir, err)
	}
	return t.fileError(ctx, opUpload, dir, c.Chmod(dir, mode))
}

// symlink creates (or replaces) a remote symbolic link.
func (t *Transport) symlink(ctx context.Context, target, link string) error {
	if t.becomeActive() {
		script := fmt.Sprintf("ln -sfn -- %s %s", quote(target), quote(link))
		return t.runFileCommand(ctx, opUpload, link, script, nil, io.Discard)
	}
	c, err := t.sftpClient()
	if err != nil {
		return t.fileError(ctx, opUpload, link, err)
	}
	c.Remove(link)
	return t.fileError(ctx, opUpload, link, c.Symlink(target, link))
}

// tempName returns a unique hidden name beside the remote path p, for an
// atomic replace.
func tempName(p string) string {
	dir, file := path.Split(p)
	return dir + "." + file + ".remotectl-" + randomSuffix()
}

// localTempName is tempName for a local path.
func localTempName(p string) string {
	return filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".remotectl-"+randomSuffix())
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// ctxWriter stops writing once ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(b)
}

// limitedWriter keeps at most n bytes (for error messages).
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(b []byte) (int, error) {
	if l.n > 0 {
		k := min(len(b), l.n)
		l.w.Write(b[:k])
		l.n -= k
	}
	return len(b), nil
}
