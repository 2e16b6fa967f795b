package module

import (
	"context"
	"fmt"
	"strings"
)

// mountModule is ansible.posix.mount on Linux: the fstab entry of a mount
// point (set_mount / unset_mount) and its mounted state (mount, umount,
// mount -o remount), read in one probe (the fstab, /proc/self/mounts).
func mountModule() *Module {
	return &Module{Name: "mount", Collection: "ansible.posix", Check: CheckFull,
		Params: []Param{
			{Name: "path", Aliases: []string{"name"}, Type: Path, Required: true},
			{Name: "src", Type: Path},
			{Name: "fstype", Type: Str},
			{Name: "opts", Type: Str},
			{Name: "dump", Type: Str, Default: "0"},
			{Name: "passno", Type: Str, Default: "0"},
			{Name: "state", Type: Str, Required: true, Choices: []string{"absent", "mounted", "present", "unmounted", "remounted"}},
			{Name: "fstab", Type: Str, Default: "/etc/fstab"},
			{Name: "boot", Type: Bool, Default: true},
		},
		Run: runMount,
	}
}

// fstabEscape escapes a field as fstab does (spaces, tabs, newlines,
// backslashes as octal).
func fstabEscape(s string) string {
	r := strings.NewReplacer(" ", `\040`, "\t", `\011`, "\n", `\012`, `\`, `\134`)
	return r.Replace(s)
}

// mountArgs are the entry's fields, defaults applied as the module does.
type mountArgs struct {
	name, src, fstype, opts, dump, passno string
	warnings                              []string
}

func newMountArgs(a Args) mountArgs {
	m := mountArgs{name: a.Str("path"), src: a.Str("src"), fstype: a.Str("fstype"), opts: "defaults",
		dump: a.Str("dump"), passno: a.Str("passno")}
	if a.Has("opts") {
		m.opts = a.Str("opts")
	}
	opts := strings.Split(m.opts, ",")
	switch {
	case containsStr(opts, "noauto"):
		if !a.Bool("boot") {
			break
		}
		m.warnings = append(m.warnings, "Ignore the 'boot' due to 'opts' contains 'noauto'.")
	case !a.Bool("boot"):
		m.opts = strings.Join(append(opts, "noauto"), ",")
	}
	return m
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// setMount is set_mount: the fstab with the entry for args.name written
// (replaced when its fields differ, appended when missing), and whether
// it changed.
func setMount(fstab string, m mountArgs) (string, bool) {
	e := mountArgs{name: fstabEscape(m.name), src: fstabEscape(m.src), fstype: m.fstype, opts: fstabEscape(m.opts), dump: m.dump, passno: m.passno}
	newLine := fmt.Sprintf("%s %s %s %s %s %s\n", e.src, e.name, e.fstype, e.opts, e.dump, e.passno)
	var out []string
	exists, changed := false, false
	for _, line := range splitKeepNL(fstab) {
		f := strings.Fields(line)
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") || len(f) < 4 || f[1] != e.name {
			out = append(out, line)
			continue
		}
		exists = true
		for len(f) < 6 {
			f = append(f, "0")
		}
		if f[0] != e.src || f[2] != e.fstype || f[3] != e.opts || f[4] != e.dump || f[5] != e.passno {
			changed = true
			out = append(out, newLine)
		} else {
			out = append(out, line)
		}
	}
	if !exists {
		if len(out) > 0 && !strings.HasSuffix(out[len(out)-1], "\n") {
			out[len(out)-1] += "\n"
		}
		out = append(out, newLine)
		changed = true
	}
	return strings.Join(out, ""), changed
}

// unsetMount is unset_mount: the entries of the mount point removed.
func unsetMount(fstab, name string) (string, bool) {
	name = fstabEscape(name)
	var out []string
	changed := false
	for _, line := range splitKeepNL(fstab) {
		f := strings.Fields(line)
		if strings.TrimSpace(line) != "" && !strings.HasPrefix(strings.TrimSpace(line), "#") && len(f) >= 4 && f[1] == name {
			changed = true
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, ""), changed
}

func mountProbeScript(path, fstab string) string {
	return fmt.Sprintf(`p=%[1]s
if [ -e %[2]s ]; then echo "@@fstab"; cat %[2]s; echo; echo "@@end"; fi
awk -v p="$(printf '%%s' "$p" | sed 's/ /\\\\040/g')" '$2 == p { print "@@mounted" }' /proc/self/mounts 2>/dev/null | head -n 1
[ -e "$p" ] && echo "@@exists"
:
`, Quote(path), Quote(fstab))
}

// mountProbe is the parsed probe.
type mountProbe struct {
	fstab, fstabExists, mounted, exists bool
	text                                string
}

func parseMountProbe(out string) mountProbe {
	var p mountProbe
	if i := strings.Index(out, "@@fstab\n"); i >= 0 {
		rest := out[i+len("@@fstab\n"):]
		if j := strings.LastIndex(rest, "\n@@end\n"); j >= 0 {
			p.text = rest[:j] // the echo after cat ended the text
			p.fstabExists = true
			out = rest[j:]
		}
	}
	p.mounted = strings.Contains(out, "@@mounted\n")
	p.exists = strings.Contains(out, "@@exists\n")
	return p
}

func runMount(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	state := a.Str("state")
	if (state == "present" || state == "mounted") && (!a.Has("src") || !a.Has("fstype")) {
		var missing []string
		for _, k := range []string{"src", "fstype"} {
			if !a.Has(k) {
				missing = append(missing, k)
			}
		}
		return Failed("state is %s but all of the following are missing: %s", state, strings.Join(missing, ", ")), nil
	}
	m := newMountArgs(a)
	fstab := a.Str("fstab")
	out, err := runSh(ctx, c, mountProbeScript(m.name, fstab), nil)
	if err != nil {
		return nil, err
	}
	p := parseMountProbe(out.Stdout)
	res := Result{"name": m.name, "opts": m.opts, "dump": m.dump, "passno": m.passno, "fstab": fstab, "boot": a.Bool("boot")}
	if a.Has("src") {
		res["src"] = m.src
	}
	if a.Has("fstype") {
		res["fstype"] = m.fstype
	}
	if len(m.warnings) > 0 {
		res["warnings"] = m.warnings
	}
	var script strings.Builder
	script.WriteString("set -e\n")
	changed := false
	mountCmd := "mount"
	if fstab != "/etc/fstab" {
		mountCmd = "mount -T " + Quote(fstab)
	}
	q := Quote(m.name)
	switch state {
	case "absent":
		text, ch := unsetMount(p.text, m.name)
		changed = ch
		if ch {
			writeHereDoc(&script, fstab, text)
			if p.mounted {
				fmt.Fprintf(&script, "umount %s || { echo \"Error unmounting %s\" >&2; exit 1; }\n", q, m.name)
			}
			if p.exists {
				fmt.Fprintf(&script, "rmdir %s || { echo \"Error rmdir %s\" >&2; exit 1; }\n", q, m.name)
			}
		}
	case "unmounted":
		if p.mounted {
			changed = true
			fmt.Fprintf(&script, "umount %s\n", q)
		}
	case "remounted":
		changed = true
		fmt.Fprintf(&script, "%s -o remount %s\n", mountCmd, q)
	default: // present, mounted
		text, ch := setMount(p.text, m)
		changed = ch
		if state == "mounted" && !p.exists {
			fmt.Fprintf(&script, "mkdir -p %s\n", q)
		}
		if ch {
			writeHereDoc(&script, fstab, text)
		}
		if state == "mounted" {
			switch {
			case p.mounted && ch:
				fmt.Fprintf(&script, "%s -o remount %s\n", mountCmd, q)
			case !p.mounted:
				changed = true
				fmt.Fprintf(&script, "%s %s\n", mountCmd, q)
			}
		}
	}
	res["changed"] = changed
	if script.Len() == len("set -e\n") || c.Check {
		return res, nil
	}
	o, err := runSh(ctx, c, script.String(), nil)
	if err != nil {
		return nil, err
	}
	if o.RC != 0 {
		verb := "mounting"
		if state == "absent" || state == "unmounted" {
			verb = "unmounting"
		}
		return Failed("Error %s %s: %s", verb, m.name, strings.TrimSpace(o.Stderr)), nil
	}
	return res, nil
}

// writeHereDoc adds to a script the writing of a file's new text (a
// here-document, as one step of the acting script).
func writeHereDoc(b *strings.Builder, path, text string) {
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	marker := "RCTL_EOF_" + RandomSuffix()
	fmt.Fprintf(b, "cat >%s <<'%s'\n%s%s\n", Quote(path), marker, text, marker)
}
