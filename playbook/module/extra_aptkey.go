package module

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

func aptKeyModule() *Module {
	return &Module{Name: "apt_key", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "id", Type: Str},
			{Name: "url", Type: Str},
			{Name: "data", Type: Str},
			{Name: "file", Type: Path},
			{Name: "keyring", Type: Path},
			{Name: "validate_certs", Type: Bool, Default: true},
			{Name: "keyserver", Type: Str},
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
		},
		Run: runAptKey}
}

// aptKeyIDRe is what int(key_id, 16) accepts, as apt_key.py's parse_key_id
// uses it to validate an id.
var aptKeyIDRe = regexp.MustCompile(`^\s*[+]?(0[xX])?_?[0-9a-fA-F](_?[0-9a-fA-F])*\s*$`)

// parseAptKeyID is apt_key.py's parse_key_id: the short id (last 8), the
// fingerprint compared with the listed keys (last 16) and the id.
func parseAptKeyID(id string) (short, fp, full string, ok bool) {
	if !aptKeyIDRe.MatchString(id) || strings.ContainsAny(id, " _+\t") {
		return "", "", "", false
	}
	id = strings.TrimPrefix(strings.ToUpper(id), "0X")
	n := len(id)
	if n != 8 && n != 16 && n <= 16 {
		return "", "", "", false
	}
	fp = id
	if n > 16 {
		fp = id[n-16:]
	}
	return id[n-8:], fp, id, true
}

// aptKeyIDs is apt_key.py's parse_output_for_keys: the key ids of the
// "pub"/"sub" lines of apt-key's or gpg --with-colons' listing, expired
// keys left out.
func aptKeyIDs(out string, short bool) []any {
	found := []any{}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "pub") && !strings.HasPrefix(line, "sub") || strings.Contains(line, "expired") {
			continue
		}
		var code string
		if tokens := strings.Fields(line); len(tokens) > 1 && strings.Count(tokens[1], "/") == 1 {
			_, code, _ = strings.Cut(tokens[1], "/")
		} else if fields := strings.Split(line, ":"); len(fields) > 4 {
			code = fields[4]
		} else {
			continue
		}
		if short && len(code) > 8 {
			code = code[len(code)-8:]
		}
		found = append(found, code)
	}
	return found
}

// aptKeyCmd is apt-key with the keyring option, as text (the result's cmd).
func aptKeyCmd(bin, keyring string, args ...string) string {
	cmd := bin
	if keyring != "" {
		cmd += " --keyring " + keyring
	}
	return strings.Join(append([]string{cmd}, args...), " ")
}

// aptKeyGather is the first round trip: apt-key and gpg, the key's id from
// its file, data or url (downloaded on the host) when no id is given, and
// the keys of the keyring.
func aptKeyGather(c *Call, needID, download bool) *shSteps {
	a := c.Args
	s := newShSteps()
	s.line(`P="$PATH:/sbin:/usr/sbin:/usr/local/sbin"`)
	s.step("aptkey", `AK=$(PATH=$P command -v apt-key)`)
	s.line(`[ -n "$AK" ] || exit 0`)
	s.step("gpg", `G=$(PATH=$P command -v gpg)`)
	s.line(`[ -n "$G" ] || exit 0; echo "$T-bin $AK"`)
	switch {
	case download:
		k := ""
		if !a.Bool("validate_certs") {
			k = " -k"
		}
		s.line(`D=$(mktemp) || exit 0; trap 'rm -f "$D"' EXIT`)
		s.step("download", `if command -v curl >/dev/null; then curl -fsSL`+k+` -- `+Quote(a.Str("url"))+` >"$D"; `+
			`elif command -v wget >/dev/null; then wget -q`+strings.Replace(k, "-k", "--no-check-certificate", 1)+` -O "$D" -- `+Quote(a.Str("url"))+`; `+
			`else echo 'neither curl nor wget is installed on the host' >&2; false; fi`)
		s.step("data", `base64 "$D"`)
		if needID {
			s.step("keyid", `LANG=C LC_ALL=C LC_MESSAGES=C "$G" --with-colons - <"$D"`)
		}
	case needID && a.Has("file"):
		s.step("keyid", `LANG=C LC_ALL=C LC_MESSAGES=C "$G" --with-colons `+Quote(a.Str("file")))
	case needID && a.Has("data"):
		s.step("keyid", `LANG=C LC_ALL=C LC_MESSAGES=C "$G" --with-colons -`)
	}
	s.step("list", `"$AK"`+aptKeyringOpt(a)+` adv --list-public-keys --keyid-format=long`)
	return s
}

func aptKeyringOpt(a Args) string {
	if a.Has("keyring") {
		return " --keyring " + Quote(a.Str("keyring"))
	}
	return ""
}

func runAptKey(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	var given []string
	for _, k := range []string{"data", "file", "keyserver", "url"} {
		if a.Has(k) {
			given = append(given, k)
		}
	}
	if len(given) > 1 {
		return Failed("parameters are mutually exclusive: data|file|keyserver|url"), nil
	}
	if a.Has("keyserver") {
		return Failed("apt_key: keyserver is not supported by remotectl (apt-key adv --recv fetches the key from a keyserver over the network, with retries); give the key with data, file or url"), nil
	}
	id := a.Str("id")
	needID := id == "" && (a.Has("url") || a.Has("file") || a.Has("data"))
	download := a.Has("url") && (needID || a.Str("state") == "present")
	s := aptKeyGather(c, needID, download)
	cmd := Command{Script: s.String()}
	if needID && a.Has("data") {
		cmd.Stdin = []byte(a.Str("data"))
	}
	out, err := c.Host.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	steps := s.parse(out)
	for _, bin := range []string{"aptkey", "gpg"} {
		if st := steps[bin]; st.RC != 0 {
			return Failed("Failed to find required executable \"%s\" in paths: %s", map[string]string{"aptkey": "apt-key", "gpg": "gpg"}[bin], "$PATH:/sbin:/usr/sbin:/usr/local/sbin"), nil
		}
	}
	bin := ""
	if m := regexp.MustCompile(regexp.QuoteMeta(s.token) + `-bin (.*)\n`).FindStringSubmatch(out.Stdout); m != nil {
		bin = m[1]
	}
	var data []byte
	if needID || download {
		var fail Result
		var got string
		if got, data, fail = aptKeyFromSource(c, steps); fail != nil {
			return fail, nil
		}
		if needID {
			id = got
		}
	} else if a.Has("data") {
		data = []byte(a.Str("data"))
	}
	r := Result{"changed": false, "id": nilIfBlank(id)}
	short, fp, full, ok := parseAptKeyID(id)
	if !ok {
		r["failed"], r["msg"] = true, "Invalid key_id"
		return r, nil
	}
	r["short_id"], r["fp"], r["key_id"] = short, fp, full
	shortFormat := len(full) == 8
	keyring := a.Str("keyring")
	list := steps["list"]
	if list.RC != 0 {
		return Result{"failed": true, "changed": false, "msg": "Unable to list public keys",
			"cmd": aptKeyCmd(bin, keyring, "adv", "--list-public-keys", "--keyid-format=long"),
			"rc":  list.RC, "stdout": list.Stdout, "stderr": list.Stderr}, nil
	}
	keys := aptKeyIDs(list.Stdout, shortFormat)
	r["before"] = keys
	want := fp
	if shortFormat {
		want = short
	}
	if a.Str("state") == "present" {
		if containsAny(keys, want) {
			return r, nil
		}
		r["changed"] = true
		if c.Check {
			return r, nil
		}
		if !a.Has("file") && data == nil {
			r["failed"], r["msg"] = true, "No key to add ... how did i get here?!?!"
			return r, nil
		}
		return aptKeyAct(ctx, c, r, bin, data, shortFormat, want)
	}
	if !containsAny(keys, fp) {
		return r, nil
	}
	r["changed"] = true
	if c.Check {
		return r, nil
	}
	return aptKeyAct(ctx, c, r, bin, nil, shortFormat, fp)
}

func containsAny(list []any, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// aptKeyFromSource reads the gather's download and gpg steps: the key's
// id (the first listed; "" when no id was asked) and its data.
func aptKeyFromSource(c *Call, steps map[string]shStep) (string, []byte, Result) {
	a := c.Args
	if st, ok := steps["download"]; ok {
		if st.RC != 0 {
			return "", nil, Failed("Failed to download key at %s: %s", a.Str("url"), strings.TrimSpace(st.Stderr))
		}
	}
	var data []byte
	if st, ok := steps["data"]; ok {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(st.Stdout), ""))
		if err != nil || st.RC != 0 {
			return "", nil, Failed("error getting key id from url: %s", a.Str("url"))
		}
		data = b
	}
	st, ok := steps["keyid"]
	if !ok {
		return "", data, nil
	}
	if st.RC != 0 {
		what := a.Str("file")
		if !a.Has("file") {
			what = "inline data"
		}
		return "", nil, Result{"failed": true, "changed": false, "msg": fmt.Sprintf("Unable to extract key from '%s'", what),
			"stdout": st.Stdout, "stderr": st.Stderr}
	}
	keys := aptKeyIDs(st.Stdout, false)
	if len(keys) == 0 {
		return "", data, nil
	}
	return keys[0].(string), data, nil
}

// aptKeyAct adds the key (from file, or data on stdin) or deletes it (by
// its short id), and lists the keys again.
func aptKeyAct(ctx context.Context, c *Call, r Result, bin string, data []byte, shortFormat bool, want string) (Result, error) {
	a := c.Args
	keyring := a.Str("keyring")
	s := newShSteps()
	var cmdText string
	var failMsg string
	extra := Result{}
	switch {
	case a.Str("state") == "absent":
		short := r["short_id"].(string)
		cmdText = aptKeyCmd(bin, keyring, "del", short)
		s.step("act", Quote(bin)+aptKeyringOpt(a)+" del "+Quote(short))
		failMsg = "Unable to remove a key with id " + short
		extra["key_id"] = short
	case a.Has("file"):
		cmdText = aptKeyCmd(bin, keyring, "add", a.Str("file"))
		s.step("act", Quote(bin)+aptKeyringOpt(a)+" add "+Quote(a.Str("file")))
		failMsg = "Unable to add a key from file " + a.Str("file")
		extra["keyfile"] = a.Str("file")
	default:
		cmdText = aptKeyCmd(bin, keyring, "add", "-")
		s.step("act", Quote(bin)+aptKeyringOpt(a)+" add -")
		failMsg = "Unable to add a key from binary data"
	}
	s.step("list", Quote(bin)+aptKeyringOpt(a)+` adv --list-public-keys --keyid-format=long`)
	out, err := c.Host.Run(ctx, Command{Script: s.String(), Stdin: data})
	if err != nil {
		return nil, err
	}
	steps := s.parse(out)
	act, ok := steps["act"]
	if !ok || act.RC != 0 {
		res := Result{"failed": true, "changed": false, "msg": failMsg, "cmd": cmdText, "rc": act.RC, "stdout": act.Stdout, "stderr": act.Stderr}
		for k, v := range extra {
			res[k] = v
		}
		return res, nil
	}
	list := steps["list"]
	if list.RC != 0 {
		return Result{"failed": true, "changed": false, "msg": "Unable to list public keys",
			"cmd": aptKeyCmd(bin, keyring, "adv", "--list-public-keys", "--keyid-format=long"),
			"rc":  list.RC, "stdout": list.Stdout, "stderr": list.Stderr}, nil
	}
	after := aptKeyIDs(list.Stdout, shortFormat)
	r["after"] = after
	const noError = "apt-key did not return an error, but %s (check that the id is correct and *not* a subkey)"
	if a.Str("state") == "present" && !containsAny(after, want) {
		r["failed"], r["msg"] = true, fmt.Sprintf(noError, "failed to add the key")
	}
	if a.Str("state") == "absent" && containsAny(after, want) {
		r["failed"], r["msg"] = true, fmt.Sprintf(noError, "the key was not removed")
	}
	return r, nil
}
