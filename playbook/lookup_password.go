package playbook

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/playbook/jinja"
)

// pythonStringSets are the attributes of Python's string module the
// password lookup's chars= may name.
var pythonStringSets = map[string]string{
	"ascii_letters":   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"ascii_lowercase": "abcdefghijklmnopqrstuvwxyz",
	"ascii_uppercase": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"digits":          "0123456789",
	"hexdigits":       "0123456789abcdefABCDEF",
	"octdigits":       "01234567",
	"punctuation":     "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
}

// passwordParams are the password lookup's k=v parameters remotectl
// implements (encrypt and ident are refused).
var passwordParams = map[string]bool{"length": true, "chars": true, "seed": true}

// lookupPassword is the password lookup without encrypt=: the password
// stored in the file (its first word before " salt="), or a new random
// one (length 20 of letters, digits and .,:-_ unless told) written there
// (mode 0600, its directory 0700) — /dev/null stores nothing. A relative
// path is under the playbook's directory. Every password it gives is a
// secret.
func lookupPassword(terms []any, pbDir string, secrets *Secrets) ([]any, error) {
	var out []any
	for _, term := range terms {
		path, params, err := passwordTerm(jinja.String(term))
		if err != nil {
			return nil, err
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(pbDir, path)
		}
		pw, err := passwordOf(path, params)
		if err != nil {
			return nil, err
		}
		secrets.Add(pw)
		out = append(out, pw)
	}
	return out, nil
}

// passwordTerm splits "path k=v ..." as Ansible's _parse_parameters.
func passwordTerm(term string) (string, map[string]any, error) {
	path, rest, found := strings.Cut(term, " ")
	params := map[string]any{}
	if found {
		var raw string
		params, raw = parseKV(rest, false)
		if raw != "" {
			path += " " + raw
			if !strings.HasPrefix(term, path) {
				return "", nil, fmt.Errorf("Unrecognized value after key=value parameters given to password lookup")
			}
		}
	}
	for k := range params {
		if k == "encrypt" || k == "ident" {
			return "", nil, fmt.Errorf("the password lookup's %s= is not supported by remotectl; hash the password with the password_hash filter", k)
		}
		if !passwordParams[k] {
			return "", nil, fmt.Errorf("Unrecognized parameter(s) given to password lookup: %s", k)
		}
	}
	return path, params, nil
}

// passwordOf reads the password stored at path or makes and stores one.
func passwordOf(path string, params map[string]any) (string, error) {
	if path != "/dev/null" {
		if data, err := os.ReadFile(path); err == nil {
			content := strings.TrimRight(string(data), pyWhitespace)
			if i := strings.LastIndex(content, " salt="); i >= 0 {
				content = content[:i]
			}
			return content, nil
		}
	}
	length := 20
	if v, ok := params["length"]; ok {
		n, err := strconv.Atoi(jinja.String(v))
		if err != nil {
			return "", fmt.Errorf("invalid literal for int() with base 10: '%s'", jinja.String(v))
		}
		length = n
	}
	chars := []string{"ascii_letters", "digits", ".,:-_"}
	if v, ok := params["chars"]; ok {
		spec := jinja.String(v)
		chars = nil
		if strings.Contains(spec, ",,") {
			chars = append(chars, ",")
		}
		for _, c := range strings.Split(strings.ReplaceAll(spec, ",,", ","), ",") {
			if c != "" {
				chars = append(chars, c)
			}
		}
	}
	var pool strings.Builder
	for _, c := range chars {
		if set, ok := pythonStringSets[c]; ok {
			c = set
		}
		pool.WriteString(c)
	}
	cand := strings.NewReplacer(`"`, "", "'", "").Replace(pool.String())
	var seed any
	if s, ok := params["seed"]; ok {
		seed = jinja.String(s)
	}
	pw, err := jinja.RandomString(cand, length, seed)
	if err != nil {
		return "", err
	}
	if path == "/dev/null" {
		return pw, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", err
	}
	return pw, nil
}
