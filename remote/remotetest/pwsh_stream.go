package remotetest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// .NET streams and hashes: [IO.File]::Create, OpenRead and OpenWrite
// (FileStream: Read, Write, Flush, Dispose, Close, Length, Position),
// [Security.Cryptography.SHA256]::Create() and SHA1, MD5, SHA384, SHA512
// (TransformBlock, TransformFinalBlock, ComputeHash, Hash, Dispose),
// [BitConverter]::ToString, [Convert]::ToBase64String(bytes, offset,
// length), [byte[]]::new(n).

// setStatic assigns a static property: [Console]::OutputEncoding to UTF-8
// (what the simulator writes anyway); any other is refused.
func (r *psRun) setStatic(typ any, name string, val any) {
	t, _ := typ.(psTypeLit)
	if enc, ok := val.(*psObject); ok && t.name == "console" && name == "outputencoding" && enc.typ == "System.Text.UTF8Encoding" {
		return
	}
	psThrow("System.Management.Automation.RuntimeException", "the simulator does not implement setting [%s]::%s to %s", t.name, name, psString(val))
}

// dotnetStatic is a static member of the types above; ok is false for
// another.
func (r *psRun) dotnetStatic(typ, name string, args []any) (v any, ok bool) {
	switch typ + "::" + name {
	case "io.file::create", "io.file::openwrite", "io.file::openread":
		return r.openFileStream(name, psString(argAt(args, 0))), true
	case "bitconverter::tostring":
		b, isBytes := argAt(args, 0).([]byte)
		if !isBytes {
			psThrow("System.Management.Automation.MethodException", "Cannot find an overload for \"ToString\" taking a %s.", psTypeName(argAt(args, 0)))
		}
		if len(args) > 1 {
			b = b[psRange(args, 1, len(b)):]
		}
		hex := strings.ToUpper(fmt.Sprintf("% x", b))
		return strings.ReplaceAll(hex, " ", "-"), true
	case "convert::tobase64string":
		b, isBytes := argAt(args, 0).([]byte)
		if !isBytes {
			psThrow("System.Management.Automation.MethodException", "Cannot convert argument \"inArray\", with value: \"%s\", for \"ToBase64String\" to type \"System.Byte[]\".", psString(argAt(args, 0)))
		}
		if len(args) == 3 {
			off, n := psRange(args, 1, len(b)), psRange(args, 2, len(b))
			if off+n > len(b) {
				psThrow("System.ArgumentOutOfRangeException", "Offset and length must refer to a position in the string.")
			}
			b = b[off : off+n]
		}
		return base64.StdEncoding.EncodeToString(b), true
	case "byte[]::new":
		return make([]byte, psRange(args, 0, 1<<30)), true
	}
	if strings.HasPrefix(typ, "security.cryptography.") && name == "create" {
		algo := strings.TrimPrefix(typ, "security.cryptography.")
		newHash := map[string]func() hash.Hash{"sha256": sha256.New, "sha1": sha1.New, "md5": md5.New, "sha384": sha512.New384, "sha512": sha512.New}[algo]
		if newHash != nil {
			return psHashAlgorithm(algo, newHash()), true
		}
	}
	return nil, false
}

func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	psThrow("System.Management.Automation.MethodException", "Cannot find an overload for the argument count: \"%d\".", len(args))
	return nil
}

// psRange is args[i] as an offset or count within 0..limit.
func psRange(args []any, i, limit int) int {
	n := int(psFloat(mustNumber(argAt(args, i))))
	if n < 0 || n > limit {
		psThrow("System.ArgumentOutOfRangeException", "Specified argument was out of the range of valid values.")
	}
	return n
}

// openFileStream opens a FileStream as [IO.File]::Create (create or
// truncate), OpenWrite (create, no truncation) or OpenRead do, with .NET's
// exceptions: FileNotFoundException for a missing file,
// DirectoryNotFoundException for a missing directory,
// UnauthorizedAccessException for a directory or a denied access.
func (r *psRun) openFileStream(how, winPath string) *psObject {
	full := r.fullPath(winPath)
	host := r.sim.hostPath(full)
	fail := func(typ, format string) {
		panic(psMethodError(how, 1, &psError{typ: typ, msg: fmt.Sprintf(format, full)}))
	}
	if fi, err := os.Stat(host); err == nil && fi.IsDir() {
		fail("System.UnauthorizedAccessException", "Access to the path '%s' is denied.")
	}
	var f *os.File
	var err error
	switch how {
	case "create":
		f, err = os.OpenFile(host, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	case "openwrite":
		f, err = os.OpenFile(host, os.O_WRONLY|os.O_CREATE, 0o644)
	default:
		f, err = os.Open(host)
	}
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		if _, dirErr := os.Stat(filepath.Dir(host)); dirErr == nil && how == "openread" {
			fail("System.IO.FileNotFoundException", "Could not find file '%s'.")
		}
		fail("System.IO.DirectoryNotFoundException", "Could not find a part of the path '%s'.")
	case errors.Is(err, fs.ErrPermission):
		fail("System.UnauthorizedAccessException", "Access to the path '%s' is denied.")
	default:
		fail("System.IO.IOException", "The process cannot access the file '%s': "+strings.ReplaceAll(err.Error(), "%", "%%"))
	}
	return psFileStream(f, full)
}

// psFileStream is a System.IO.FileStream on f.
func psFileStream(f *os.File, full string) *psObject {
	o := newPSObject("System.IO.FileStream")
	o.props.set("Name", full)
	closed := false
	open := func() error {
		if closed {
			return &psError{typ: "System.ObjectDisposedException", msg: "Cannot access a closed file."}
		}
		return nil
	}
	buffer := func(a []any) ([]byte, int, int, error) {
		if len(a) != 3 {
			return nil, 0, 0, &psError{typ: "System.ArgumentException", msg: fmt.Sprintf("the simulator's FileStream takes (buffer, offset, count), not %d arguments", len(a))}
		}
		b, ok := a[0].([]byte)
		if !ok {
			return nil, 0, 0, &psError{typ: "System.ArgumentNullException", msg: "Buffer cannot be null.\r\nParameter name: array"}
		}
		off, n := int(psFloat(mustNumber(a[1]))), int(psFloat(mustNumber(a[2])))
		if off < 0 || n < 0 || off+n > len(b) {
			return nil, 0, 0, &psError{typ: "System.ArgumentException", msg: "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection."}
		}
		return b, off, n, open()
	}
	o.methods = map[string]func([]any) (any, error){
		"write": func(a []any) (any, error) {
			b, off, n, err := buffer(a)
			if err == nil {
				_, err = f.Write(b[off : off+n])
			}
			return nil, err
		},
		"read": func(a []any) (any, error) {
			b, off, n, err := buffer(a)
			if err != nil {
				return nil, err
			}
			got, err := io.ReadFull(f, b[off:off+n])
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = nil
			}
			return int64(got), err
		},
		"flush": func([]any) (any, error) { return nil, open() },
		"dispose": func([]any) (any, error) {
			if closed {
				return nil, nil
			}
			closed = true
			return nil, f.Close()
		},
	}
	o.methods["close"] = o.methods["dispose"]
	return o
}

// psHashAlgorithm is a System.Security.Cryptography hash algorithm.
func psHashAlgorithm(algo string, h hash.Hash) *psObject {
	o := newPSObject("System.Security.Cryptography." + strings.ToUpper(algo) + "CryptoServiceProvider")
	o.props.set("Hash", nil)
	block := func(a []any, final bool) (any, error) {
		if len(a) != 5 && !(final && len(a) == 3) {
			return nil, &psError{typ: "System.ArgumentException", msg: fmt.Sprintf("the simulator's TransformBlock takes 5 arguments and TransformFinalBlock 3, not %d", len(a))}
		}
		b, ok := a[0].([]byte)
		if !ok {
			return nil, &psError{typ: "System.ArgumentNullException", msg: "Value cannot be null.\r\nParameter name: inputBuffer"}
		}
		off, n := int(psFloat(mustNumber(a[1]))), int(psFloat(mustNumber(a[2])))
		if off < 0 || n < 0 || off+n > len(b) {
			return nil, &psError{typ: "System.ArgumentException", msg: "Value was invalid."}
		}
		h.Write(b[off : off+n])
		if final {
			o.props.set("Hash", h.Sum(nil))
			h.Reset()
			return append([]byte(nil), b[off:off+n]...), nil
		}
		if len(a) == 5 {
			if out, ok := a[3].([]byte); ok {
				copy(out[int(psFloat(mustNumber(a[4]))):], b[off:off+n])
			}
		}
		return int64(n), nil
	}
	o.methods = map[string]func([]any) (any, error){
		"transformblock":      func(a []any) (any, error) { return block(a, false) },
		"transformfinalblock": func(a []any) (any, error) { return block(a, true) },
		"computehash": func(a []any) (any, error) {
			b, ok := a[0].([]byte)
			if !ok {
				return nil, &psError{typ: "System.ArgumentNullException", msg: "Value cannot be null.\r\nParameter name: buffer"}
			}
			h.Reset()
			h.Write(b)
			sum := h.Sum(nil)
			h.Reset()
			o.props.set("Hash", sum)
			return sum, nil
		},
		"dispose": func([]any) (any, error) { return nil, nil },
	}
	o.methods["clear"] = o.methods["dispose"]
	return o
}
