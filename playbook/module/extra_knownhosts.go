package module

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
)

func knownHostsModule() *Module {
	return &Module{Name: "known_hosts", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: []Param{
			{Name: "name", Aliases: []string{"host"}, Type: Str, Required: true},
			{Name: "key", Type: Str},
			{Name: "path", Type: Path, Default: "~/.ssh/known_hosts"},
			{Name: "hash_host", Type: Bool, Default: false},
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
		},
		Run: runKnownHosts}
}

var (
	khCommaRe     = regexp.MustCompile(`\S+(\s+)?,(\s+)?`)
	khFoundLineRe = regexp.MustCompile(`found: line (\d+)`)
)

// khKey is known_hosts.py's normalize_known_hosts_key.
type khKey struct{ options, host, typ, key string }

func normalizeKHKey(line string) (khKey, bool) {
	k := strings.Fields(line)
	if len(k) > 0 && strings.HasPrefix(k[0], "@") {
		if len(k) < 4 {
			return khKey{}, false
		}
		return khKey{k[0], k[1], k[2], k[3]}, true
	}
	if len(k) < 3 {
		return khKey{}, false
	}
	return khKey{"", k[0], k[1], k[2]}, true
}

// hashKHHost is hash_host_key: the host field replaced by |1|salt|hmac.
func hashKHHost(host, key string) string {
	salt := make([]byte, 20)
	_, _ = rand.Read(salt)
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(host))
	parts := strings.Fields(key)
	i := 0
	if len(parts) > 0 && strings.HasPrefix(parts[0], "@") {
		i = 1
	}
	if i < len(parts) {
		parts[i] = "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(parts, " ")
}

// khSearch is search_for_host_key over ssh-keygen -F's output: found,
// replace_or_add and the line (0 for none) of the key of the same type.
func khSearch(out, key string) (found, replace bool, line int, fail Result) {
	if key == "" {
		return true, false, 0, nil
	}
	newKey, _ := normalizeKHKey(key)
	for _, l := range strings.Split(out, "\n") {
		switch {
		case l == "":
		case l[0] == '#':
			m := khFoundLineRe.FindStringSubmatch(l)
			if m == nil {
				return false, false, 0, Failed("failed to parse output of ssh-keygen for line number: '%s'", l)
			}
			line, _ = strconv.Atoi(m[1])
		default:
			fk, ok := normalizeKHKey(l)
			if !ok {
				continue
			}
			if strings.HasPrefix(newKey.host, "|1|") && strings.HasPrefix(fk.host, "|1|") {
				newKey.host = fk.host
			}
			if newKey == fk {
				return true, false, line, nil
			}
			if newKey.typ == fk.typ {
				return true, true, line, nil
			}
		}
	}
	return true, true, 0, nil
}

// pySplitLinesKeep is str.splitlines(True).
func pySplitLinesKeep(s string) []string {
	var out []string
	for s != "" {
		loc := pyLineBreakRe.FindStringIndex(s)
		if loc == nil {
			return append(out, s)
		}
		out = append(out, s[:loc[1]])
		s = s[loc[1]:]
	}
	return out
}

// khGather is the one round trip that gathers: ssh-keygen, the path with ~
// expanded, the key's sanity check (ssh-keygen -F on it), and the file:
// ssh-keygen -F on it, its text and mode.
func khGather(c *Call, host, key string) *shSteps {
	p := c.Args.Str("path")
	s := newShSteps()
	s.step("keygen", `K=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v ssh-keygen)`)
	s.line(`[ -n "$K" ] || exit 0`)
	switch {
	case p == "~":
		s.line(`F=$HOME`)
	case strings.HasPrefix(p, "~/"):
		s.line(`F="$HOME"/` + Quote(p[2:]))
	default:
		s.line(`F=` + Quote(p))
	}
	s.line(`echo "$T-path $F"`)
	if key != "" {
		s.step("sanity", `S=$(mktemp) && cat >"$S" && "$K" -F `+Quote(host)+` -f "$S"; rm -f "$S"`)
	}
	s.step("exists", `[ -e "$F" ]`)
	s.step("find", `[ ! -e "$F" ] || "$K" -F `+Quote(host)+` -f "$F"`)
	s.step("content", `[ ! -e "$F" ] || cat "$F"`)
	s.step("mode", `if [ -e "$F" ]; then stat -c %a "$F"; else printf '%o\n' $(( 0666 & ~$(umask) )); fi`)
	return s
}

func runKnownHosts(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	host, key, state := strings.ToLower(a.Str("name")), a.Str("key"), a.Str("state")
	if key == "" && state != "absent" {
		return Failed("No key specified when adding a host"), nil
	}
	if key != "" && a.Bool("hash_host") {
		key = hashKHHost(host, key)
	}
	if key != "" && !strings.HasSuffix(key, "\n") {
		key += "\n"
	}
	if key != "" && khCommaRe.MatchString(host) {
		return Failed("Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file."), nil
	}
	s := khGather(c, host, key)
	out, err := c.Host.Run(ctx, Command{Script: s.String(), Stdin: []byte(key)})
	if err != nil {
		return nil, err
	}
	st := s.parse(out)
	if st["keygen"].RC != 0 {
		return Failed("Failed to find required executable \"ssh-keygen\" in paths: %s", "$PATH:/sbin:/usr/sbin:/usr/local/sbin"), nil
	}
	path := ""
	if m := regexp.MustCompile(regexp.QuoteMeta(s.token) + `-path (.*)\n`).FindStringSubmatch(out.Stdout); m != nil {
		path = m[1]
	}
	if key != "" && st["sanity"].Stdout == "" {
		return Failed("Host parameter does not match hashed host field in supplied key"), nil
	}
	exists := st["exists"].RC == 0
	var found, replace bool
	var line int
	if exists {
		f := st["find"]
		switch {
		case f.Stdout == "" && f.Stderr == "" && (f.RC == 0 || f.RC == 1):
		case f.RC != 0:
			return Failed("ssh-keygen failed (rc=%d, stdout='%s',stderr='%s')", f.RC, f.Stdout, f.Stderr), nil
		default:
			var fail Result
			if found, replace, line, fail = khSearch(f.Stdout, key); fail != nil {
				return fail, nil
			}
		}
	}
	content := st["content"].Stdout
	diff := khDiff(path, exists, content, line, replace, state, key)
	res := Result{"name": a.Str("name"), "key": a["key"], "path": path, "hash_host": a.Bool("hash_host"), "state": state,
		"changed": false, "diff": diff}
	if state == "absent" && line == 0 && key != "" {
		return khPathResult(ctx, c, res, path)
	}
	if c.Check {
		return Result{"changed": replace || (state == "present") != found, "diff": diff}, nil
	}
	if found && key == "" && state == "absent" {
		o, err := c.Host.Run(ctx, Command{Argv: []string{"ssh-keygen", "-R", host, "-f", path}})
		if err != nil {
			return nil, err
		}
		if o.RC != 0 {
			return Result{"failed": true, "changed": false, "msg": strings.TrimSpace(o.Stderr), "rc": o.RC,
				"cmd": "ssh-keygen -R " + host + " -f " + path, "stdout": o.Stdout, "stderr": o.Stderr}, nil
		}
		res["changed"] = true
		return khPathResult(ctx, c, res, path) // the rewrite Ansible does next writes the same lines
	}
	if replace || found != (state == "present") {
		mode, _ := strconv.ParseUint(strings.TrimSpace(st["mode"].Stdout), 8, 32)
		if err := c.Host.WriteFile(ctx, path, []byte(khRewrite(content, line, replace, state, key)), fs.FileMode(mode)); err != nil {
			return Failed("Failed to write to file %s: %v", path, err), nil
		}
		res["changed"] = true
	}
	return khPathResult(ctx, c, res, path)
}

// khPathResult adds what Ansible's exit_json adds to a result with a path
// (add_path_info): the file's owner, mode, size and state ("file" in
// place of the module's state).
func khPathResult(ctx context.Context, c *Call, res Result, path string) (Result, error) {
	p := newProbe()
	p.Path("f", path, false, "", false)
	r, err := p.Run(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	return pathResult(res, r.path("f")), nil
}

// khRewrite is the file's new text: the found line dropped (replaced or
// absent), the key appended when present.
func khRewrite(content string, line int, replace bool, state, key string) string {
	var b strings.Builder
	for i, l := range strings.SplitAfter(content, "\n") {
		if line == i+1 && (replace || state == "absent") {
			continue
		}
		b.WriteString(l)
	}
	if state == "present" {
		b.WriteString(key)
	}
	return b.String()
}

// khDiff is compute_diff.
func khDiff(path string, exists bool, content string, line int, replace bool, state, key string) map[string]any {
	before := path
	if !exists {
		before = "/dev/null"
	}
	lines := pySplitLinesKeep(content)
	if (replace || state == "absent") && line >= 1 && line <= len(lines) {
		lines = append(lines[:line-1], lines[line:]...)
	}
	if state == "present" && (replace || line == 0) {
		lines = append(lines, key)
	}
	return map[string]any{"before_header": before, "after_header": path, "before": content, "after": strings.Join(lines, "")}
}
