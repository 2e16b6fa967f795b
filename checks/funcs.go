package checks

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// templateFuncs are the functions of check file templates, as goss's
// template.go defines them: Sprig's text functions, then goss's own, which
// win where both define a name (regexMatch). getEnv reads env, the
// controller's environment as the caller gave it.
func templateFuncs(env map[string]string) template.FuncMap {
	f := sprig.TxtFuncMap()
	f["mkSlice"] = func(args ...any) []any { return args }
	f["readFile"] = readFile
	f["getEnv"] = getEnv(env)
	f["regexMatch"] = func(re, s string) (bool, error) {
		compiled, err := regexp.Compile(re)
		if err != nil {
			return false, err
		}
		return compiled.MatchString(s), nil
	}
	f["toUpper"] = strings.ToUpper
	f["toLower"] = strings.ToLower
	f["findStringSubmatch"] = findStringSubmatch
	return f
}

// getEnv is goss's getEnv over env: a variable's value, or the default
// given when it is empty or unset.
func getEnv(env map[string]string) func(key string, def ...string) string {
	return func(key string, def ...string) string {
		if v := env[key]; v != "" || len(def) == 0 {
			return v
		}
		return def[0]
	}
}

// readFile is goss's readFile: a controller file's contents, surrounding
// white space trimmed; a relative path is relative to the current directory.
func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// findStringSubmatch is goss's: the pattern's first match in input, as a
// map of its named groups when it has any, else of every group by its
// index as a string ("0" is the whole match; Sprig's get needs string
// keys). goss panics on a bad pattern; here it is the template's error.
func findStringSubmatch(pattern, input string) (map[string]any, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("findStringSubmatch: %w", err)
	}
	els := re.FindStringSubmatch(input)
	byIndex := make(map[string]any, len(els))
	named := make(map[string]any)
	for i, el := range els {
		byIndex[strconv.Itoa(i)] = el
		if name := re.SubexpNames()[i]; name != "" {
			named[name] = el
		}
	}
	if len(named) > 0 {
		return named, nil
	}
	return byIndex, nil
}
