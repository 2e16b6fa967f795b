package module

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fileWrite puts new content at a path as Ansible's atomic_move does: a
// temporary file in the same directory takes the existing file's mode and
// owner (or 0666 less the umask for a new file), then the asked
// attributes, is validated, the old file is backed up, and it is renamed
// over the path.
type fileWrite struct {
	Path     string
	Data     []byte
	Cur      *pathInfo // the path's current state (not following links)
	Attrs    fileAttrs
	Backup   bool
	Validate string // a command with %s, run on the temporary file
	// FromPath, when set, is a file on the host copied instead of Data
	// (remote_src).
	FromPath string
}

// writeOutcome is what a write did.
type writeOutcome struct {
	Backup string    // the backup file, "" when none
	Final  *pathInfo // the path's state after the write
	Failed Result    // validation failed (nothing was changed)
}

// do writes. r is the probe that gave Cur (umask, uids, gids).
func (w fileWrite) do(ctx context.Context, h Host, r *probed) (writeOutcome, error) {
	tmp := path.Join(path.Dir(w.Path), "."+path.Base(w.Path)+".remotectl-"+RandomSuffix())
	base := &pathInfo{Exists: true, Kind: "file", Perm: 0o666 &^ r.umask, UID: -1, GID: -1}
	if w.Cur.Exists && w.Cur.Kind == "file" {
		base.Perm, base.UID, base.GID = w.Cur.Perm, w.Cur.UID, w.Cur.GID
	}
	perm := base.Perm
	if w.Attrs.Mode != "" {
		p, err := parseMode(w.Attrs.Mode, base.Perm, false, r.umask)
		if err != nil {
			return writeOutcome{Failed: Failed("%v", err)}, nil
		}
		perm = p
	}
	uid, gid := base.UID, base.GID
	var err error
	if w.Attrs.Owner != "" {
		if uid, err = w.Attrs.uid(r); err != nil {
			return writeOutcome{Failed: Failed("%v", err)}, nil
		}
	}
	if w.Attrs.Group != "" {
		if gid, err = w.Attrs.gid(r); err != nil {
			return writeOutcome{Failed: Failed("%v", err)}, nil
		}
	}
	var s strings.Builder
	s.WriteString(probeFuncs)
	if w.FromPath != "" {
		fmt.Fprintf(&s, "cp --preserve=timestamps -- %s %s || exit 3\n", Quote(w.FromPath), Quote(tmp))
	} else if err := h.WriteFile(ctx, tmp, w.Data, fs.FileMode(perm&0o777)); err != nil {
		return writeOutcome{Failed: Failed("failed to copy: %s to %s: %v", tmp, w.Path, err)}, nil
	}
	if uid >= 0 || gid >= 0 {
		owner := ""
		if uid >= 0 {
			owner = strconv.Itoa(uid)
		}
		if gid >= 0 {
			owner += ":" + strconv.Itoa(gid)
		}
		fmt.Fprintf(&s, "chown %s -- %s || exit 3\n", owner, Quote(tmp))
	}
	fmt.Fprintf(&s, "chmod %04o -- %s || exit 3\n", perm, Quote(tmp))
	if w.Validate != "" {
		if !strings.Contains(w.Validate, "%s") {
			h.Run(ctx, Command{Argv: []string{"rm", "-f", "--", tmp}}) //nolint:errcheck // best effort
			return writeOutcome{Failed: Failed("validate must contain %%s: %s", w.Validate)}, nil
		}
		cmd := strings.ReplaceAll(w.Validate, "%s", Quote(tmp))
		fmt.Fprintf(&s, "_o=$( (%s) 2>/tmp/.remotectl-verr.$$ ); _rc=$?\n", cmd)
		s.WriteString(`if [ $_rc != 0 ]; then printf 'v\trc\t%s\n' $_rc; printf 'v\tout\t%s\n' "$(printf %s "$_o" | base64 -w0)"; ` +
			`printf 'v\terr\t%s\n' "$(base64 -w0 < /tmp/.remotectl-verr.$$)"; rm -f /tmp/.remotectl-verr.$$ ` + Quote(tmp) + "; exit 0; fi\n" +
			"rm -f /tmp/.remotectl-verr.$$\n")
	}
	if w.Backup && w.Cur.Exists {
		fmt.Fprintf(&s, "_b=%s.$$.$(date +%%Y-%%m-%%d@%%H:%%M:%%S~); cp -p -- %s \"$_b\" || exit 4; printf 'b\\tbackup\\t%%s\\n' \"$_b\"\n",
			Quote(w.Path), Quote(w.Path))
	}
	if w.Cur.Kind == "link" || w.Cur.Kind == "broken" {
		fmt.Fprintf(&s, "rm -f -- %s\n", Quote(w.Path))
	}
	fmt.Fprintf(&s, "mv -f -- %s %s || exit 5\n", Quote(tmp), Quote(w.Path))
	fmt.Fprintf(&s, "_p f %s 0 'sha1 md5' 0\n", Quote(w.Path))
	out, err := h.Run(ctx, Command{Script: s.String()})
	if err != nil {
		return writeOutcome{}, err
	}
	if out.RC != 0 {
		h.Run(ctx, Command{Argv: []string{"rm", "-f", "--", tmp}}) //nolint:errcheck // best effort
		return writeOutcome{Failed: Failed("failed to copy: %s to %s: %s", tmp, w.Path, strings.TrimSpace(out.Stderr))}, nil
	}
	res := parseProbe(out.Stdout)
	if rc := res.get("v", "rc"); rc != "" {
		f := Failed("failed to validate")
		f["exit_status"], _ = strconv.Atoi(rc)
		f["stdout"] = decode64(res.get("v", "out"))
		f["stderr"] = decode64(res.get("v", "err"))
		return writeOutcome{Failed: f}, nil
	}
	return writeOutcome{Backup: res.get("b", "backup"), Final: res.path("f")}, nil
}

// act runs shell commands (attributes, removals...) then probes path; it
// returns the path's state after, or a failed result.
func act(ctx context.Context, h Host, cmds []string, p string, follow bool) (*pathInfo, Result, error) {
	script := probeFuncs + "set -e\n" + strings.Join(cmds, "\n") + "\nset +e\n" +
		fmt.Sprintf("_p f %s %d 'sha1' 0\n", Quote(p), b2i(follow))
	out, err := h.Run(ctx, Command{Script: script})
	if err != nil {
		return nil, nil, err
	}
	if out.RC != 0 {
		return nil, Failed("%s", strings.TrimSpace(out.Stderr)), nil
	}
	return parseProbe(out.Stdout).path("f"), nil, nil
}

// contentDiff is Ansible's diff of a file's text: before and after, with
// headers; binary content is replaced by a note, as Ansible does.
func contentDiff(before, after []byte, beforeHeader, afterHeader string) map[string]any {
	d := map[string]any{"before_header": beforeHeader, "after_header": afterHeader}
	if !utf8.Valid(before) || !utf8.Valid(after) || strings.ContainsRune(string(before)+string(after), 0) {
		d["before"], d["after"] = "", ""
		d["dst_binary"] = 1
		return d
	}
	d["before"], d["after"] = string(before), string(after)
	return d
}

func decode64(s string) string {
	b, _ := base64.StdEncoding.DecodeString(s)
	return string(b)
}
