package inventory

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// PyYAML's implicit resolvers (YAML 1.1), which Ansible reads inventories
// and variables files with: plain scalars matching them are booleans,
// floats, integers, nulls or timestamps; anything else is a string. They
// differ from YAML 1.2 (yaml.v3): "yes" and "off" are booleans, "1:30" is
// 90 (base 60), "017" is octal, while "1e3" and "0o17" are strings.
var (
	yaml11Float = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?` +
		`|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?` +
		`|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*` +
		`|[-+]?\.(?:inf|Inf|INF)` +
		`|\.(?:nan|NaN|NAN))$`)
	yaml11Int = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+` +
		`|[-+]?0[0-7_]+` +
		`|[-+]?(?:0|[1-9][0-9_]*)` +
		`|[-+]?0x[0-9a-fA-F_]+` +
		`|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yaml11Timestamp = regexp.MustCompile(`^(?:([0-9]{4})-([0-9]{2})-([0-9]{2})` +
		`|([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?` +
		`(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)$`)
)

// YAML11Scalar resolves a plain (unquoted, untagged) scalar as PyYAML does,
// as Ansible reads inventories, playbooks and variables files.
func YAML11Scalar(s string) any { return yaml11Scalar(s) }

// yaml11Scalar resolves a plain (unquoted, untagged) scalar as PyYAML does.
func yaml11Scalar(s string) any {
	if s == "" {
		return nil
	}
	switch s {
	case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true
	case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false
	case "~", "null", "Null", "NULL":
		return nil
	}
	if !strings.ContainsAny(s[:1], "-+0123456789.") {
		return s
	}
	// PyYAML tries the float resolver before the int one.
	if yaml11Float.MatchString(s) {
		return yaml11ParseFloat(s)
	}
	if yaml11Int.MatchString(s) {
		return yaml11ParseInt(s)
	}
	if m := yaml11Timestamp.FindStringSubmatch(s); m != nil {
		return yaml11Time(m)
	}
	return s
}

// yaml11Sign splits off a sign.
func yaml11Sign(v string) (sign float64, rest string) {
	switch {
	case strings.HasPrefix(v, "-"):
		return -1, v[1:]
	case strings.HasPrefix(v, "+"):
		return 1, v[1:]
	}
	return 1, v
}

// yaml11ParseFloat is PyYAML's construct_yaml_float.
func yaml11ParseFloat(s string) any {
	sign, v := yaml11Sign(strings.ToLower(strings.ReplaceAll(s, "_", "")))
	switch {
	case v == ".inf":
		return math.Inf(int(sign))
	case v == ".nan":
		return math.NaN()
	case strings.Contains(v, ":"):
		total, base := 0.0, 1.0
		parts := strings.Split(v, ":")
		for i := len(parts) - 1; i >= 0; i-- {
			f, _ := strconv.ParseFloat(parts[i], 64)
			total += f * base
			base *= 60
		}
		return sign * total
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return s
	}
	return sign * f
}

// yaml11ParseInt is PyYAML's construct_yaml_int. Integers beyond int64
// become floats.
func yaml11ParseInt(s string) any {
	sign, v := yaml11Sign(strings.ReplaceAll(s, "_", ""))
	var n uint64
	var err error
	switch {
	case v == "0":
		return 0
	case strings.HasPrefix(v, "0b"):
		n, err = strconv.ParseUint(v[2:], 2, 64)
	case strings.HasPrefix(v, "0x"):
		n, err = strconv.ParseUint(v[2:], 16, 64)
	case v[0] == '0':
		n, err = strconv.ParseUint(v[1:], 8, 64)
	case strings.Contains(v, ":"):
		base := uint64(1)
		parts := strings.Split(v, ":")
		for i := len(parts) - 1; i >= 0 && err == nil; i-- {
			var d uint64
			d, err = strconv.ParseUint(parts[i], 10, 64)
			n += d * base
			base *= 60
		}
	default:
		n, err = strconv.ParseUint(v, 10, 64)
	}
	if err != nil || n > math.MaxInt64 {
		f, _ := strconv.ParseFloat(v, 64)
		return sign * f
	}
	return int(sign) * int(n)
}

// yaml11Time is PyYAML's construct_yaml_timestamp, written as Ansible
// writes it (Python's isoformat): a date "2001-12-14", or a date and time
// "2001-12-14T21:59:43.100000-05:00".
func yaml11Time(m []string) string {
	if m[1] != "" {
		return m[0]
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	out := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", atoi(m[4]), atoi(m[5]), atoi(m[6]), atoi(m[7]), atoi(m[8]), atoi(m[9]))
	if frac := m[10]; frac != "" {
		frac = (frac + "000000")[:6]
		if frac != "000000" {
			out += "." + frac
		}
	}
	switch {
	case m[12] != "":
		out += fmt.Sprintf("%s%02d:%02d", m[12], atoi(m[13]), atoi(m[14]))
	case m[11] == "Z":
		out += "+00:00"
	}
	return out
}
