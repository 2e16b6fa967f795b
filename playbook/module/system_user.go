package module

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// userModule is ansible.builtin.user on Linux: useradd, usermod, userdel,
// decided as user.py's User class on one probe (passwd, shadow, groups).
func userModule() *Module {
	return &Module{Name: "user", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "name", Aliases: []string{"user"}, Type: Str, Required: true},
			{Name: "uid", Type: Int},
			{Name: "comment", Type: Str},
			{Name: "non_unique", Type: Bool, Default: false},
			{Name: "group", Type: Str},
			{Name: "groups", Type: List, Elements: Str},
			{Name: "append", Type: Bool, Default: false},
			{Name: "shell", Type: Str},
			{Name: "home", Type: Path},
			{Name: "skeleton", Type: Str},
			{Name: "password", Type: Str, NoLog: true},
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
			{Name: "create_home", Aliases: []string{"createhome"}, Type: Bool, Default: true},
			{Name: "move_home", Type: Bool, Default: false},
			{Name: "system", Type: Bool, Default: false},
			{Name: "force", Type: Bool, Default: false},
			{Name: "remove", Type: Bool, Default: false},
			{Name: "update_password", Type: Str, Default: "always", Choices: []string{"always", "on_create"}},
			{Name: "expires", Type: Float},
			{Name: "generate_ssh_key", Type: Bool, Default: false},
			{Name: "ssh_key_bits", Type: Int, Default: 0},
			{Name: "ssh_key_type", Type: Str, Default: "rsa"},
			{Name: "ssh_key_file", Type: Path},
			{Name: "ssh_key_comment", Type: Str},
		},
		Run: runUser,
	}
}

// groupModule is ansible.builtin.group: groupadd, groupmod, groupdel.
func groupModule() *Module {
	return &Module{Name: "group", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "name", Type: Str, Required: true},
			{Name: "gid", Type: Int},
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
			{Name: "system", Type: Bool, Default: false},
			{Name: "non_unique", Type: Bool, Default: false},
		},
		Run: runGroup,
	}
}

// pwEntry is a passwd line; grEntry a group line.
type pwEntry struct {
	name, passwd       string
	uid, gid           int
	gecos, home, shell string
}

type grEntry struct {
	name    string
	gid     int
	members []string
}

// accountProbe is what the user and group modules read on the host.
type accountProbe struct {
	user       *pwEntry
	shadowPw   string
	expires    int // days since the epoch, -1 for none
	groups     []grEntry
	hasAppend  bool
	homeExists bool
	umask      int // login.defs UMASK, -1 when absent
}

func (p *accountProbe) group(nameOrGID string) *grEntry {
	isNum := nameOrGID != "" && strings.Trim(nameOrGID, "0123456789") == ""
	for i := range p.groups {
		g := &p.groups[i]
		if isNum && strconv.Itoa(g.gid) == nameOrGID || !isNum && g.name == nameOrGID {
			return g
		}
	}
	return nil
}

// accountProbeScript prints the user's passwd and shadow lines, every
// group, whether usermod has --append, whether the home exists, and
// login.defs' UMASK.
func accountProbeScript(name, home string) string {
	n := Quote(name)
	return fmt.Sprintf(`export LC_ALL=C
pw=$(getent passwd %[1]s)
printf '#rctl P\n%%s\n' "$pw"
echo '#rctl S'; getent shadow %[1]s
echo '#rctl G'; getent group
echo '#rctl -'
case $(usermod --help 2>&1) in *--append*) echo APPEND ;; esac
h=%[2]s
if [ -z "$h" ] && [ -n "$pw" ]; then set -f; IFS=:; set -- $pw; h=$6; unset IFS; fi
[ -n "$h" ] && [ -e "$h" ] && echo HOME
sed -n 's/^UMASK[[:space:]]\{1,\}\([0-7]\{1,\}\)$/UMASK\t\1/p' /etc/login.defs 2>/dev/null
:
`, n, Quote(home))
}

func parseAccountProbe(out string) *accountProbe {
	p := &accountProbe{expires: -1, umask: -1}
	section := "-"
	for _, line := range strings.Split(out, "\n") {
		// getent's lines come in sections ("#rctl P", S, G), the rest
		// as "TAG\tvalue".
		if s, ok := strings.CutPrefix(line, "#rctl "); ok {
			section = s
			continue
		}
		tag, rest := section, line
		if section == "-" {
			tag, rest, _ = strings.Cut(line, "\t")
		}
		switch tag {
		case "P":
			f := strings.Split(rest, ":")
			if len(f) == 7 {
				uid, _ := strconv.Atoi(f[2])
				gid, _ := strconv.Atoi(f[3])
				p.user = &pwEntry{name: f[0], passwd: f[1], uid: uid, gid: gid, gecos: f[4], home: f[5], shell: f[6]}
			}
		case "S":
			f := strings.Split(rest, ":")
			if len(f) >= 8 {
				p.shadowPw = f[1]
				if e, err := strconv.Atoi(f[7]); err == nil {
					p.expires = e
				}
			}
		case "G":
			f := strings.Split(rest, ":")
			if len(f) == 4 {
				gid, _ := strconv.Atoi(f[2])
				g := grEntry{name: f[0], gid: gid}
				if f[3] != "" {
					g.members = strings.Split(f[3], ",")
				}
				p.groups = append(p.groups, g)
			}
		case "APPEND":
			p.hasAppend = true
		case "HOME":
			p.homeExists = true
		case "UMASK":
			if u, err := strconv.ParseInt(rest, 8, 32); err == nil {
				p.umask = int(u)
			}
		}
	}
	return p
}

// groupsSet is get_groups_set: the groups named, each must exist; with
// removePrimary the user's primary group is left out.
func groupsSet(a Args, p *accountProbe, removePrimary bool) ([]string, error) {
	var out []string
	for _, g := range a.Strings("groups") {
		for _, x := range strings.Split(g, ",") {
			x = strings.TrimSpace(x)
			if x == "" || slices.Contains(out, x) {
				continue
			}
			ge := p.group(x)
			if ge == nil {
				return nil, fmt.Errorf("Group %s does not exist", x)
			}
			if removePrimary && p.user != nil && ge.gid == p.user.gid {
				continue
			}
			out = append(out, x)
		}
	}
	return out, nil
}

// membership is user_group_membership.
func (p *accountProbe) membership(name string, excludePrimary bool) []string {
	var out []string
	for _, g := range p.groups {
		if slices.Contains(g.members, name) && (!excludePrimary || p.user == nil || g.gid != p.user.gid) {
			out = append(out, g.name)
		}
	}
	return out
}

const userDateFormat = "2006-01-02"

// useraddArgs is create_user_useradd.
func useraddArgs(a Args, p *accountProbe) ([]string, error) {
	name := a.Str("name")
	argv := []string{"useradd"}
	if a.Has("uid") {
		argv = append(argv, "-u", strconv.Itoa(a.Int("uid")))
		if a.Bool("non_unique") {
			argv = append(argv, "-o")
		}
	}
	if g := a.Str("group"); g != "" {
		if p.group(g) == nil {
			return nil, fmt.Errorf("Group %s does not exist", g)
		}
		argv = append(argv, "-g", g)
	} else if p.group(name) != nil {
		argv = append(argv, "-N")
	}
	if a.Has("groups") {
		groups, err := groupsSet(a, p, true)
		if err != nil {
			return nil, err
		}
		if len(groups) > 0 {
			argv = append(argv, "-G", strings.Join(groups, ","))
		}
	}
	if a.Has("comment") {
		argv = append(argv, "-c", a.Str("comment"))
	}
	if a.Has("home") {
		argv = append(argv, "-d", a.Str("home"))
	}
	if a.Has("shell") {
		argv = append(argv, "-s", a.Str("shell"))
	}
	if a.Has("expires") {
		argv = append(argv, "-e", expiresArg(a))
	}
	if a.Has("password") {
		argv = append(argv, "-p", a.Str("password"))
	}
	if a.Bool("create_home") {
		argv = append(argv, "-m")
		if a.Has("skeleton") {
			argv = append(argv, "-k", a.Str("skeleton"))
		}
	} else {
		argv = append(argv, "-M")
	}
	if a.Bool("system") {
		argv = append(argv, "-r")
	}
	return append(argv, name), nil
}

func expiresArg(a Args) string {
	e, _ := a["expires"].(float64)
	if e < 0 {
		return ""
	}
	return time.Unix(int64(e), 0).UTC().Format(userDateFormat)
}

// usermodArgs is modify_user_usermod; nil when nothing differs.
func usermodArgs(a Args, p *accountProbe) ([]string, error) {
	u := p.user
	argv := []string{"usermod"}
	if a.Has("uid") && u.uid != a.Int("uid") {
		argv = append(argv, "-u", strconv.Itoa(a.Int("uid")))
		if a.Bool("non_unique") {
			argv = append(argv, "-o")
		}
	}
	if g := a.Str("group"); g != "" {
		ge := p.group(g)
		if ge == nil {
			return nil, fmt.Errorf("Group %s does not exist", g)
		}
		if u.gid != ge.gid {
			argv = append(argv, "-g", strconv.Itoa(ge.gid))
		}
	}
	if a.Has("groups") {
		current := p.membership(u.name, false)
		names := a.Strings("groups")
		need := false
		var groups []string
		if len(names) == 0 || len(names) == 1 && names[0] == "" {
			need = len(current) > 0 && !a.Bool("append")
		} else {
			var err error
			if groups, err = groupsSet(a, p, false); err != nil {
				return nil, err
			}
			diff := symDiff(current, groups)
			if len(diff) > 0 {
				if a.Bool("append") {
					for _, g := range groups {
						if slices.Contains(diff, g) {
							if p.hasAppend {
								argv = append(argv, "-a")
							}
							need = true
							break
						}
					}
				} else {
					need = true
				}
			}
			if need && a.Bool("append") && !p.hasAppend {
				argv = append(argv, "-A", strings.Join(diff, ","))
				need = false
			}
		}
		if need {
			argv = append(argv, "-G", strings.Join(groups, ","))
		}
	}
	if a.Has("comment") && u.gecos != a.Str("comment") {
		argv = append(argv, "-c", a.Str("comment"))
	}
	if a.Has("home") && u.home != a.Str("home") {
		argv = append(argv, "-d", a.Str("home"))
		if a.Bool("move_home") {
			argv = append(argv, "-m")
		}
	}
	if a.Has("shell") && u.shell != a.Str("shell") {
		argv = append(argv, "-s", a.Str("shell"))
	}
	if a.Has("expires") {
		e, _ := a["expires"].(float64)
		if e < 0 {
			if p.expires >= 0 {
				argv = append(argv, "-e", "")
			}
		} else {
			want := time.Unix(int64(e), 0).UTC().Format(userDateFormat)
			cur := time.Unix(int64(p.expires)*86400, 0).UTC().Format(userDateFormat)
			if p.expires < 0 || cur != want {
				argv = append(argv, "-e", want)
			}
		}
	}
	if a.Str("update_password") == "always" && a.Has("password") &&
		strings.TrimLeft(p.shadowPw, "!") != strings.TrimLeft(a.Str("password"), "!") {
		argv = append(argv, "-p", a.Str("password"))
	}
	if len(argv) == 1 {
		return nil, nil
	}
	return append(argv, u.name), nil
}

// symDiff is Python's set symmetric_difference, sorted.
func symDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// userdelArgs is remove_user_userdel.
func userdelArgs(a Args) []string {
	argv := []string{"userdel"}
	if a.Bool("force") {
		argv = append(argv, "-f")
	}
	if a.Bool("remove") {
		argv = append(argv, "-r")
	}
	return append(argv, a.Str("name"))
}

func runUser(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	name := a.Str("name")
	out, err := runSh(ctx, c, accountProbeScript(name, a.Str("home")), nil)
	if err != nil {
		return nil, err
	}
	p := parseAccountProbe(out.Stdout)
	res := Result{"name": name, "state": a.Str("state")}
	var argv []string
	switch {
	case a.Str("state") == "absent":
		if p.user == nil {
			res["changed"] = false
			return res, nil
		}
		if c.Check {
			return Result{"changed": true}, nil
		}
		argv = userdelArgs(a)
		res["force"], res["remove"] = a.Bool("force"), a.Bool("remove")
	case p.user == nil:
		if c.Check {
			return Result{"changed": true}, nil
		}
		if argv, err = useraddArgs(a, p); err != nil {
			return Failed("%v", err), nil
		}
		res["system"], res["create_home"] = a.Bool("system"), a.Bool("create_home")
	default:
		if argv, err = usermodArgs(a, p); err != nil {
			return Failed("%v", err), nil
		}
		res["append"], res["move_home"] = a.Bool("append"), a.Bool("move_home")
	}
	res["changed"] = argv != nil
	if argv != nil && !c.Check {
		o, err := c.Host.Run(ctx, Command{Argv: argv})
		if err != nil {
			return nil, err
		}
		if o.RC != 0 {
			return Result{"failed": true, "changed": false, "name": name, "msg": o.Stderr, "rc": o.RC}, nil
		}
		if o.Stdout != "" {
			res["stdout"] = o.Stdout
		}
		if o.Stderr != "" {
			res["stderr"] = o.Stderr
		}
	}
	if a.Str("state") == "present" && a.Has("password") {
		res["password"] = "NOT_LOGGING_PASSWORD"
	}
	if a.Str("state") == "absent" {
		return res, nil
	}
	return userFinish(ctx, c, p, res, argv != nil)
}

// userFinish reads the user again after a change, creates a missing home
// (create_home) and fills uid, group, comment, home, shell, groups.
func userFinish(ctx context.Context, c *Call, p *accountProbe, res Result, changed bool) (Result, error) {
	a := c.Args
	if changed && !c.Check {
		out, err := runSh(ctx, c, accountProbeScript(a.Str("name"), a.Str("home")), nil)
		if err != nil {
			return nil, err
		}
		p = parseAccountProbe(out.Stdout)
	}
	u := p.user
	if u == nil {
		res["failed"], res["msg"] = true, "failed to look up user name: "+a.Str("name")
		return res, nil
	}
	res["uid"], res["group"], res["comment"], res["home"], res["shell"] = u.uid, u.gid, u.gecos, u.home, u.shell
	if a.Has("groups") {
		res["groups"] = strings.Join(a.Strings("groups"), ",")
	}
	if !p.homeExists && a.Bool("create_home") {
		res["changed"] = true
		if !c.Check {
			if msg, err := createHome(ctx, c, a, p, u); err != nil || msg != "" {
				if err != nil {
					return nil, err
				}
				return Failed("%s", msg), nil
			}
		}
	}
	if a.Bool("generate_ssh_key") {
		return userSSHKey(ctx, c, u, res)
	}
	return res, nil
}

// userSSHKeyScript is ssh_key_gen, ssh_key_fingerprint and
// get_ssh_public_key in one script; it prints RC <n> (ssh-keygen ran, or
// would), SKIP <why> (a key is there), FAIL <why>, FP/FPERR, then PUB and
// the public key.
func userSSHKeyScript(a Args, u *pwEntry, check bool) string {
	file := a.Str("ssh_key_file")
	if file == "" {
		file = ".ssh/id_" + a.Str("ssh_key_type")
	}
	path := Quote(file)
	if !strings.HasPrefix(file, "/") {
		path = Quote(strings.TrimSuffix(u.home, "/") + "/" + file)
	}
	keygen := []string{"ssh-keygen", "-t", Quote(a.Str("ssh_key_type"))}
	if b := a.Int("ssh_key_bits"); b > 0 {
		keygen = append(keygen, "-b", strconv.Itoa(b))
	}
	comment := `"ansible-generated on $(hostname)"`
	if a.Has("ssh_key_comment") {
		comment = Quote(a.Str("ssh_key_comment"))
	}
	keygen = append(keygen, "-C", comment, "-f", `"$f"`, "-N", "''")
	force := a.Bool("force")
	var b strings.Builder
	fmt.Fprintf(&b, "f=%s; d=$(dirname \"$f\")\ngen() {\n", path)
	if !strings.HasPrefix(file, "/") && !check {
		fmt.Fprintf(&b, "  [ -d %s ] || { echo \"FAIL\tUser %s home directory does not exist\"; return; }\n", Quote(u.home), u.name)
	}
	if check {
		b.WriteString("  [ -e \"$d\" ] || { echo \"RC\t0\"; return; }\n")
	} else {
		fmt.Fprintf(&b, "  [ -e \"$d\" ] || { mkdir -m 0700 \"$d\" && chown %d:%d \"$d\"; } || { echo \"FAIL\tFailed to create $d\"; return; }\n", u.uid, u.gid)
	}
	if force {
		b.WriteString("  [ -e \"$f\" ] && printf 'WARN\\tOverwriting existing ssh key private file \"%s\"\\n' \"$f\"\n")
		b.WriteString("  [ -e \"$f.pub\" ] && { printf 'WARN\\tOverwriting existing ssh key public file \"%s\"\\n' \"$f.pub\"; " + map[bool]string{true: ":", false: "rm -f \"$f.pub\""}[check] + "; }\n")
	} else {
		b.WriteString("  if [ -e \"$f\" ]; then printf 'WARN\\tFound existing ssh key private file \"%s\", no force, so skipping ssh-keygen generation\\n' \"$f\"; echo SKIP; return; fi\n")
		b.WriteString("  if [ -e \"$f.pub\" ]; then printf 'WARN\\tFound existing ssh key public file \"%s\", no force, so skipping ssh-keygen generation\\n' \"$f.pub\"; echo SKIP; return; fi\n")
	}
	if check {
		b.WriteString("  echo \"RC\t0\"\n")
	} else {
		fmt.Fprintf(&b, "  err=$(echo y | %s 2>&1 >/dev/null); rc=$?\n  printf 'RC\\t%%s\\t%%s\\n' \"$rc\" \"$(printf %%s \"$err\" | tr '\\n\\t' '  ')\"\n", strings.Join(keygen, " "))
		fmt.Fprintf(&b, "  [ $rc -eq 0 ] && chown %d:%d \"$f\" \"$f.pub\"\n", u.uid, u.gid)
	}
	b.WriteString("}\ngen\n")
	b.WriteString(`if [ -e "$f" ]; then if fp=$(ssh-keygen -l -f "$f" 2>&1); then printf 'FP\t%s\n' "$fp"; else printf 'FPERR\t%s\n' "$fp"; fi
else printf 'FPERR\tSSH Key file %s does not exist\n' "$f"; fi
printf 'FILE\t%s\n' "$f"
[ -e "$f.pub" ] && { echo PUB; cat "$f.pub"; }
:
`)
	return b.String()
}

// userSSHKey runs the key script and fills ssh_fingerprint, ssh_key_file
// and ssh_public_key as the module does.
func userSSHKey(ctx context.Context, c *Call, u *pwEntry, res Result) (Result, error) {
	out, err := runSh(ctx, c, userSSHKeyScript(c.Args, u, c.Check), nil)
	if err != nil {
		return nil, err
	}
	var warnings []any
	var pub *string
	lines := strings.Split(out.Stdout, "\n")
	for i, line := range lines {
		tag, rest, _ := strings.Cut(line, "\t")
		switch tag {
		case "FAIL":
			return Result{"failed": true, "changed": false, "name": u.name, "msg": rest, "rc": 1}, nil
		case "RC":
			rc, msg, _ := strings.Cut(rest, "\t")
			if rc != "0" {
				return Result{"failed": true, "changed": false, "name": u.name, "msg": strings.TrimSpace(msg), "rc": rc}, nil
			}
			res["changed"] = true
		case "WARN":
			warnings = append(warnings, rest)
		case "FP", "FPERR":
			res["ssh_fingerprint"] = strings.TrimSpace(rest)
		case "FILE":
			res["ssh_key_file"] = rest
		case "PUB":
			k := strings.TrimSpace(strings.Join(lines[i+1:], "\n"))
			pub = &k
		}
		if tag == "PUB" {
			break
		}
	}
	if pub != nil {
		res["ssh_public_key"] = *pub
	} else {
		res["ssh_public_key"] = nil
	}
	if len(warnings) > 0 {
		res["warnings"] = warnings
	}
	return res, nil
}

// createHome is create_homedir + chown_homedir: the skeleton copied, mode
// from login.defs' UMASK, owned by the user.
func createHome(ctx context.Context, c *Call, a Args, p *accountProbe, u *pwEntry) (string, error) {
	home := Quote(u.home)
	skel := "/etc/skel"
	if a.Has("skeleton") {
		skel = a.Str("skeleton")
	}
	script := fmt.Sprintf("set -e\nif [ -d %[1]s ]; then cp -a %[1]s %[2]s; else mkdir -p %[2]s; fi\n", Quote(skel), home)
	if p.umask >= 0 {
		script += fmt.Sprintf("chmod %o %s\n", 0o777&^p.umask, home)
	}
	script += fmt.Sprintf("chown -R %d:%d %s\n", u.uid, u.gid, home)
	out, err := runSh(ctx, c, script, nil)
	if err != nil || out.RC == 0 {
		return "", err
	}
	return strings.TrimSpace(out.Stderr), nil
}

func runGroup(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	name := a.Str("name")
	if a.Bool("non_unique") && !a.Has("gid") {
		return Failed("non_unique is True but all of the following are missing: gid"), nil
	}
	out, err := runSh(ctx, c, "getent group | sed 's/^/G\\t/'", nil)
	if err != nil {
		return nil, err
	}
	p := parseAccountProbe(out.Stdout)
	g := p.group(name)
	if strings.Trim(name, "0123456789") == "" {
		g = nil
		for i := range p.groups {
			if p.groups[i].name == name {
				g = &p.groups[i]
			}
		}
	}
	res := Result{"name": name, "state": a.Str("state")}
	var argv []string
	switch {
	case a.Str("state") == "absent":
		if g != nil {
			if c.Check {
				return Result{"changed": true}, nil
			}
			argv = []string{"groupdel", name}
		}
	case g == nil:
		if c.Check {
			return Result{"changed": true}, nil
		}
		argv = []string{"groupadd"}
		if a.Has("gid") {
			argv = append(argv, "-g", strconv.Itoa(a.Int("gid")))
			if a.Bool("non_unique") {
				argv = append(argv, "-o")
			}
		}
		if a.Bool("system") {
			argv = append(argv, "-r")
		}
		argv = append(argv, name)
	case a.Has("gid") && g.gid != a.Int("gid"):
		argv = []string{"groupmod", "-g", strconv.Itoa(a.Int("gid"))}
		if a.Bool("non_unique") {
			argv = append(argv, "-o")
		}
		argv = append(argv, name)
	}
	res["changed"] = argv != nil
	if argv != nil && !c.Check {
		o, err := c.Host.Run(ctx, Command{Argv: argv})
		if err != nil {
			return nil, err
		}
		if o.RC != 0 {
			return Result{"failed": true, "changed": false, "name": name, "msg": o.Stderr}, nil
		}
		if o.Stdout != "" {
			res["stdout"] = o.Stdout
		}
		if o.Stderr != "" {
			res["stderr"] = o.Stderr
		}
		out, err := runSh(ctx, c, "getent group "+Quote(name)+" | sed 's/^/G\\t/'", nil)
		if err != nil {
			return nil, err
		}
		p = parseAccountProbe(out.Stdout)
		g = p.group(name)
	}
	if g != nil {
		res["system"], res["gid"] = a.Bool("system"), g.gid
	}
	return res, nil
}
