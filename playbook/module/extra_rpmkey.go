package module

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
)

func rpmKeyModule() *Module {
	return &Module{Name: "rpm_key", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
			{Name: "key", Type: Str, Required: true},
			{Name: "fingerprint", Type: Str},
			{Name: "validate_certs", Type: Bool, Default: true},
		},
		Run: runRPMKey}
}

var (
	// rpmKeyIDRe is rpm_key.py's is_keyid (re.match: a prefix).
	rpmKeyIDRe = regexp.MustCompile(`^(?i:(0x)?[0-9a-f]{8})`)
	// rpmPubkeyRe is is_pubkey.
	rpmPubkeyRe = regexp.MustCompile(`(?s)-----BEGIN PGP PUBLIC KEY BLOCK-----.*?-----END PGP PUBLIC KEY BLOCK-----`)
)

const rpmGPG = `"$G" --no-tty --batch --with-colons --fixed-list-mode`

// rpmKeyGather is the one round trip that gathers: rpm and gpg, the key
// (downloaded on the host for a url) with its id and fingerprint, and the
// ids of the gpg-pubkey packages rpm has.
func rpmKeyGather(c *Call, kind string) *shSteps {
	key := c.Args.Str("key")
	s := newShSteps()
	s.line(`P="$PATH:/sbin:/usr/sbin:/usr/local/sbin"`)
	s.step("rpm", `R=$(PATH=$P command -v rpm)`)
	s.line(`[ -n "$R" ] || exit 0`)
	s.step("gpg", `G=$(PATH=$P command -v gpg || PATH=$P command -v gpg2)`)
	s.line(`[ -n "$G" ] || exit 0`)
	switch kind {
	case "url":
		k := ""
		if !c.Args.Bool("validate_certs") {
			k = " -k"
		}
		s.line(`F=$(mktemp) || exit 0; trap 'rm -f "$F"' EXIT`)
		s.step("download", `if command -v curl >/dev/null; then curl -fsSL`+k+` -- `+Quote(key)+` >"$F"; `+
			`elif command -v wget >/dev/null; then wget -q`+strings.Replace(k, "-k", "--no-check-certificate", 1)+` -O "$F" -- `+Quote(key)+`; `+
			`else echo 'neither curl nor wget is installed on the host' >&2; false; fi`)
		s.step("data", `base64 "$F"`)
	case "file":
		s.line(`F=` + Quote(key))
		s.step("isfile", `[ -f "$F" ]`)
	}
	if kind != "id" {
		s.step("keyid", `[ ! -f "$F" ] || `+rpmGPG+` "$F"`)
		if c.Args.Has("fingerprint") {
			s.step("fpr", `[ ! -f "$F" ] || `+rpmGPG+` --with-fingerprint "$F"`)
		}
	}
	s.step("query", `"$R" -q gpg-pubkey >/dev/null 2>&1`)
	s.step("imported", `! "$R" -q gpg-pubkey >/dev/null 2>&1 || "$R" -q gpg-pubkey --qf "%{description}" | `+rpmGPG+` -`)
	return s
}

// rpmColonField returns field n of the first line starting with prefix
// in gpg's colon listing.
func rpmColonField(out, prefix string, n int) (string, bool) {
	for _, line := range pyLineBreakRe.Split(out, -1) {
		line = strings.TrimSpace(line)
		if f := strings.Split(line, ":"); strings.HasPrefix(line, prefix) && len(f) > n {
			return f[n], true
		}
	}
	return "", false
}

// rpmNormalizeKeyID is normalize_keyid.
func rpmNormalizeKeyID(id string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	return strings.TrimPrefix(id, "0X")
}

func runRPMKey(ctx context.Context, c *Call) (Result, error) {
	key := c.Args.Str("key")
	kind := "file"
	switch {
	case strings.Contains(key, "://"):
		kind = "url"
	case rpmKeyIDRe.MatchString(key):
		kind = "id"
	}
	s := rpmKeyGather(c, kind)
	out, err := c.Host.Run(ctx, Command{Script: s.String()})
	if err != nil {
		return nil, err
	}
	st := s.parse(out)
	if st["rpm"].RC != 0 {
		return Failed("Failed to find required executable \"rpm\" in paths: %s", "$PATH:/sbin:/usr/sbin:/usr/local/sbin"), nil
	}
	if st["gpg"].RC != 0 {
		return Failed("Failed to find required executable \"gpg2\" in paths: %s", "$PATH:/sbin:/usr/sbin:/usr/local/sbin"), nil
	}
	var data []byte
	keyid := key
	switch kind {
	case "url":
		if d := st["download"]; d.RC != 0 {
			return Failed("failed to fetch key at %s , error was: %s", key, strings.TrimSpace(d.Stderr)), nil
		}
		data, _ = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(st["data"].Stdout), ""))
		if !rpmPubkeyRe.Match(data) {
			return Failed("Not a public key: %s", key), nil
		}
	case "file":
		if st["isfile"].RC != 0 {
			return Failed("Not a valid key %s", key), nil
		}
	}
	if kind != "id" {
		k := st["keyid"]
		if k.RC != 0 {
			return Failed("%s", k.Stderr), nil
		}
		id, ok := rpmColonField(k.Stdout, "pub:", 4)
		if !ok {
			return Failed("Unexpected gpg output"), nil
		}
		keyid = id
	}
	keyid = rpmNormalizeKeyID(keyid)
	imported, fail := rpmKeyImported(st, keyid)
	if fail != nil {
		return fail, nil
	}
	present := c.Args.Str("state") == "present"
	if imported == present {
		return Result{"changed": false}, nil
	}
	if present {
		if kind == "id" {
			return Failed("When importing a key, a valid file must be given"), nil
		}
		if fp := c.Args.Str("fingerprint"); fp != "" {
			fp = strings.ToUpper(strings.ReplaceAll(fp, " ", ""))
			f := st["fpr"]
			if f.RC != 0 {
				return Failed("%s", f.Stderr), nil
			}
			has, ok := rpmColonField(f.Stdout, "fpr:", 9)
			if !ok {
				return Failed("Unexpected gpg output"), nil
			}
			if fp != has {
				return Failed("The specified fingerprint, '%s', does not match the key fingerprint '%s'", fp, has), nil
			}
		}
	}
	if c.Check {
		return Result{"changed": true}, nil
	}
	return rpmKeyAct(ctx, c, present, kind, keyid, data)
}

// rpmKeyImported is is_key_imported: keyid in the id field of a line of
// gpg's listing of rpm's gpg-pubkey descriptions.
func rpmKeyImported(st map[string]shStep, keyid string) (bool, Result) {
	if st["query"].RC != 0 {
		return false, nil
	}
	im := st["imported"]
	if im.RC != 0 {
		return false, Failed("%s", im.Stderr)
	}
	for _, line := range pyLineBreakRe.Split(im.Stdout, -1) {
		if f := strings.Split(line, ":"); len(f) > 4 && strings.Contains(f[4], keyid) {
			return true, nil
		}
	}
	return false, nil
}

// rpmKeyAct imports the key file (a url's key comes on stdin to a
// temporary file) or erases gpg-pubkey-<short id>.
func rpmKeyAct(ctx context.Context, c *Call, present bool, kind, keyid string, data []byte) (Result, error) {
	script := `R=$(PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin" command -v rpm) || exit 127; `
	switch {
	case !present:
		short := keyid
		if len(short) > 8 {
			short = short[len(short)-8:]
		}
		script += `"$R" --erase --allmatches ` + Quote("gpg-pubkey-"+strings.ToLower(short))
	case kind == "url":
		script += `F=$(mktemp) || exit 1; trap 'rm -f "$F"' EXIT; cat >"$F" && "$R" --import "$F"`
	default:
		script += `"$R" --import ` + Quote(c.Args.Str("key"))
	}
	out, err := c.Host.Run(ctx, Command{Script: script, Stdin: data})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Failed("%s", out.Stderr), nil
	}
	return Result{"changed": true}, nil
}
