package module

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// authorizedKeyModule is ansible.posix.authorized_key: keys of a user's
// authorized_keys, parsed, merged and written as the module's
// enforce_state does (keys identified by their base64 blob, ranks keep
// the file's order, new keys after the existing ones).
func authorizedKeyModule() *Module {
	return &Module{Name: "authorized_key", Collection: "ansible.posix", Check: CheckFull, Diff: true,
		Params: []Param{
			{Name: "user", Type: Str, Required: true},
			{Name: "key", Type: Str, Required: true},
			{Name: "path", Type: Path},
			{Name: "manage_dir", Type: Bool, Default: true},
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
			{Name: "key_options", Type: Str},
			{Name: "exclusive", Type: Bool, Default: false},
			{Name: "comment", Type: Str},
			{Name: "follow", Type: Bool, Default: false},
			{Name: "validate_certs", Type: Bool, Default: true},
		},
		Run: runAuthorizedKey,
	}
}

// sshKeyTypes are the key types parsekey recognises.
func sshKeyTypes() []string {
	return []string{"sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
		"sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com",
		"ssh-dss", "ssh-rsa", "ssh-xmss@openssh.com", "ssh-xmss-cert-v01@openssh.com", "rsa-sha2-256", "rsa-sha2-512",
		"ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com",
		"ssh-dss-cert-v01@openssh.com"}
}

// sshOpt is one key option: name, and value (nil for a flag).
type sshOpt struct {
	name  string
	value *string
}

// authKey is one line of authorized_keys: a key, or a line kept as is.
type authKey struct {
	hash, typ, comment string
	opts               []sshOpt
	rank               int
	raw                string // the line itself, for lines kept as they are
}

// parseSSHOptions is parseoptions: comma-separated, commas inside quotes kept.
func parseSSHOptions(s string) []sshOpt {
	var opts []sshOpt
	re := regexp.MustCompile(`((?:[^,"']|"[^"]*"|'[^']*')+)`)
	for _, part := range re.FindAllString(s, -1) {
		if k, v, ok := strings.Cut(part, "="); ok {
			opts = append(opts, sshOpt{k, &v})
		} else {
			opts = append(opts, sshOpt{name: part})
		}
	}
	return opts
}

// optsEqual compares options as Python dicts (last value of a name wins).
func optsEqual(a, b []sshOpt) bool {
	m := func(o []sshOpt) map[string]string {
		out := map[string]string{}
		for _, x := range o {
			v := "\x00none"
			if x.value != nil {
				v = *x.value
			}
			out[x.name] = v
		}
		return out
	}
	ma, mb := m(a), m(b)
	if len(ma) != len(mb) {
		return false
	}
	for k, v := range ma {
		if w, ok := mb[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// parseSSHKey is parsekey; ok is false for a line that holds no key.
func parseSSHKey(raw string, rank int) (authKey, bool) {
	raw = strings.ReplaceAll(raw, `\#`, "#")
	parts := strings.Fields(raw)
	if len(parts) > 0 && parts[0] == "#" {
		return authKey{hash: raw, typ: "skipped", rank: rank, raw: raw}, true
	}
	ti := -1
	for i, p := range parts {
		if slices.Contains(sshKeyTypes(), p) {
			ti = i
			break
		}
	}
	if ti < 0 || ti+1 >= len(parts) {
		return authKey{}, false
	}
	k := authKey{typ: parts[ti], hash: parts[ti+1], rank: rank}
	if ti > 0 {
		k.opts = parseSSHOptions(strings.Join(parts[:ti], " "))
	}
	k.comment = strings.Join(parts[ti+2:], " ")
	return k, true
}

// authKeys is parsekeys' dict: insertion order and ranks.
type authKeys struct {
	order []string
	keys  map[string]authKey
}

func (ks *authKeys) set(id string, k authKey) {
	if _, ok := ks.keys[id]; !ok {
		ks.order = append(ks.order, id)
	}
	ks.keys[id] = k
}

func (ks *authKeys) del(id string) {
	delete(ks.keys, id)
	ks.order = slices.DeleteFunc(ks.order, func(s string) bool { return s == id })
}

// parseAuthorizedKeys is parsekeys.
func parseAuthorizedKeys(content string) *authKeys {
	ks := &authKeys{keys: map[string]authKey{}}
	for i, line := range splitKeepNL(content) {
		if k, ok := parseSSHKey(line, i); ok {
			ks.set(k.hash, k)
		} else {
			ks.set(line, authKey{hash: line, typ: "skipped", rank: i, raw: line})
		}
	}
	return ks
}

// serialize writes the keys ordered by rank.
func (ks *authKeys) serialize() string {
	list := make([]authKey, 0, len(ks.order))
	for _, id := range ks.order {
		list = append(list, ks.keys[id])
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].rank < list[j].rank })
	var b strings.Builder
	for _, k := range list {
		if k.typ == "skipped" {
			b.WriteString(k.raw)
			continue
		}
		if len(k.opts) > 0 {
			var os []string
			for _, o := range k.opts {
				if o.value == nil {
					os = append(os, o.name)
				} else {
					os = append(os, o.name+"="+*o.value)
				}
			}
			b.WriteString(strings.Join(os, ",") + " ")
		}
		fmt.Fprintf(&b, "%s %s %s\n", k.typ, k.hash, k.comment)
	}
	return b.String()
}

// enforceAuthorizedKeys is enforce_state on the file's content: the new
// content and whether it must be written.
func enforceAuthorizedKeys(a Args, existing string) (string, bool, error) {
	state := a.Str("state")
	var newKeys []string
	for _, s := range strings.Split(strings.TrimRight(a.Str("key"), " \t\r\n"), "\n") {
		s = strings.TrimSuffix(s, "\r")
		if s != "" && !strings.HasPrefix(s, "#") {
			newKeys = append(newKeys, s)
		}
	}
	ks := parseAuthorizedKeys(existing)
	maxRank := len(ks.order)
	write := false
	var keep []string
	for i, nk := range newKeys {
		k, ok := parseSSHKey(nk, i)
		if !ok {
			return "", false, fmt.Errorf("invalid key specified: %s", nk)
		}
		if a.Has("key_options") {
			k.opts = parseSSHOptions(a.Str("key_options"))
		}
		if a.Has("comment") {
			k.comment = a.Str("comment")
		}
		matched := false
		if old, ok := ks.keys[k.hash]; ok {
			same := old.typ == k.typ && optsEqual(old.opts, k.opts) && old.comment == k.comment
			if !same && state == "present" {
				ks.del(k.hash)
				write = true
			} else {
				matched = true
			}
		}
		if state == "present" {
			keep = append(keep, k.hash)
			if !matched {
				k.rank = maxRank + i
				ks.set(k.hash, k)
				write = true
			}
		} else if matched {
			ks.del(k.hash)
			write = true
		}
	}
	if state == "present" && a.Bool("exclusive") {
		for _, id := range slices.Clone(ks.order) {
			if !slices.Contains(keep, id) {
				ks.del(id)
				write = true
			}
		}
	}
	return ks.serialize(), write, nil
}

func runAuthorizedKey(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	user := a.Str("user")
	if strings.HasPrefix(a.Str("key"), "http") {
		keys, msg, err := fetchKeys(ctx, c, a.Str("key"), a.Bool("validate_certs"))
		if err != nil || msg != "" {
			if err != nil {
				return nil, err
			}
			return Failed("%s", msg), nil
		}
		a = maps.Clone(a)
		a["key"] = keys
	}
	keyfile := `"$home/.ssh/authorized_keys"`
	if p := a.Str("path"); p != "" {
		keyfile = Quote(p)
	}
	follow := ""
	if a.Bool("follow") {
		follow = `f=$(readlink -f -- "$f" || printf %s "$f")`
	}
	script := fmt.Sprintf(`if ! e=$(getent passwd %s); then echo NOUSER; exit 0; fi
home=$(printf %%s "$e" | cut -d: -f6); uid=$(printf %%s "$e" | cut -d: -f3); gid=$(printf %%s "$e" | cut -d: -f4)
f=%s
%s
printf 'U\t%%s\t%%s\t%%s\n' "$uid" "$gid" "$f"
[ -f "$f" ] && cat -- "$f"
:
`, Quote(user), keyfile, follow)
	out, err := runSh(ctx, c, script, nil)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(out.Stdout, "NOUSER") {
		return Failed("Failed to lookup user %s: getpwnam(): name not found: '%s'", user, user), nil
	}
	head, existing, _ := strings.Cut(out.Stdout, "\n")
	f := tabFields(head)
	if len(f) != 4 {
		return Failed("authorized_key: cannot read the user's key file: %s", strings.TrimSpace(out.Stderr)), nil
	}
	uid, gid, file := f[1], f[2], f[3]
	content, write, err := enforceAuthorizedKeys(a, existing)
	if err != nil {
		return Failed("%v", err), nil
	}
	res := Result{}
	for _, p := range c.Module.Params {
		res[p.Name] = a[p.Name]
	}
	res["keyfile"], res["changed"] = file, write
	if c.Diff {
		res["diff"] = map[string]any{"before_header": file, "after_header": file, "before": existing, "after": content}
	}
	if !write || c.Check {
		return res, nil
	}
	if msg, err := writeAuthorizedKeys(ctx, c, file, uid, gid, content); err != nil || msg != "" {
		if err != nil {
			return nil, err
		}
		return Failed("%s", msg), nil
	}
	return res, nil
}

// writeAuthorizedKeys is keyfile(write=True) and writefile: the .ssh
// directory made 0700 and the user's (manage_dir), the file 0600 and the
// user's.
func writeAuthorizedKeys(ctx context.Context, c *Call, file, uid, gid, content string) (string, error) {
	dir := file[:max(strings.LastIndexByte(file, '/'), 0)]
	if dir == "" {
		dir = "/"
	}
	var b strings.Builder
	b.WriteString("set -e\n")
	if c.Args.Bool("manage_dir") {
		fmt.Fprintf(&b, "[ -e %[1]s ] || mkdir -m 0700 %[1]s\nchown %[2]s:%[3]s %[1]s\nchmod 0700 %[1]s\n", Quote(dir), uid, gid)
	}
	fmt.Fprintf(&b, "mkdir -p %s\n", Quote(dir))
	out, err := runSh(ctx, c, b.String(), nil)
	if err != nil {
		return "", err
	}
	if out.RC != 0 {
		return strings.TrimSpace(out.Stderr), nil
	}
	if err := c.Host.WriteFile(ctx, file, []byte(content), 0o600); err != nil {
		return fmt.Sprintf("Failed to write to file %s: %v", file, err), nil
	}
	out, err = runSh(ctx, c, fmt.Sprintf("chown %s:%s %s; chmod 0600 %s", uid, gid, Quote(file), Quote(file)), nil)
	if err != nil {
		return "", err
	}
	return "", nil
}

// fetchKeys gets keys from a URL on the host, as the module does there
// (curl, else wget); the message is Ansible's on a failure.
func fetchKeys(ctx context.Context, c *Call, url string, validate bool) (string, string, error) {
	k, nc := "", ""
	if !validate {
		k, nc = " -k", " --no-check-certificate"
	}
	script := fmt.Sprintf(`if command -v curl >/dev/null 2>&1; then curl -fsSL%s -- %s
elif command -v wget >/dev/null 2>&1; then wget -q%s -O - -- %s
else echo "neither curl nor wget on the host" >&2; exit 127; fi
`, k, Quote(url), nc, Quote(url))
	out, err := runSh(ctx, c, script, nil)
	if err != nil {
		return "", "", err
	}
	if out.RC != 0 {
		return "", fmt.Sprintf("Error getting key from: %s", url), nil
	}
	return out.Stdout, "", nil
}
