package inventory

import (
	"regexp"
	"strings"
)

// The expressions of Ansible's parse_address
// (ansible/parsing/utils/addresses.py), with ranges allowed: Ansible reads
// a host pattern without a comma that matches them as one term.
const (
	addrNumericRange = `\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`
	addrHexRange     = `\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`
	addrAlnumRange   = `\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
	addrIPv6Part     = `(?:[0-9a-f]{1,4}|` + addrHexRange + `)`
	addrIPv4Part     = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|` + addrNumericRange + `)`
	// A label starts and ends with a word character or a range (Python's
	// (?<![_-]) lookbehind, which RE2 lacks, spelled out).
	addrLabelChar = `(?:[\p{L}\p{N}_]|` + addrAlnumRange + `)`
	addrLabel     = addrLabelChar + `(?:(?:[\p{L}\p{N}_-]|` + addrAlnumRange + `)*` + addrLabelChar + `)?`
)

var (
	addrBracketedPort = regexp.MustCompile(`^\[(.+)\]:([0-9]+)$`)
	addrHostPort      = regexp.MustCompile(`^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`)
	addrIPv4          = regexp.MustCompile(`(?i)^(?:` + addrIPv4Part + `\.){3}` + addrIPv4Part + `$`)
	// Ansible's expression is "^alt1|...|altN$" without a group: only the
	// last alternative is anchored at the end, so with re.match the others
	// match a prefix ("fe80::1%eth0" is an address). Kept as it is.
	addrIPv6 = regexp.MustCompile(`(?i)^(?:` + strings.NewReplacer("{0}", addrIPv6Part).Replace(
		`(?:{0}:){7}{0}|(?:{0}:){1,6}:|(?:{0}:)(?::{0}){1,6}|(?:{0}:){2}(?::{0}){1,5}|(?:{0}:){3}(?::{0}){1,4}|`+
			`(?:{0}:){4}(?::{0}){1,3}|(?:{0}:){5}(?::{0}){1,2}|(?:{0}:){6}(?::{0})|:(?::{0}){1,6}|{0}?::|`+
			`(?:0:){6}(?:{0}\.){3}{0}|::(?:ffff:)?(?:{0}\.){3}{0}|(?:0:){5}ffff:(?:{0}\.){3}{0}$`) + `)`)
	addrHostname = regexp.MustCompile(`(?i)^` + addrLabel + `(?:\.` + addrLabel + `)*$`)
)

// isAnsibleAddress reports whether s parses as Ansible's parse_address
// does with ranges allowed: a host name, IPv4 or IPv6 address (ranges
// allowed), with an optional port (":22", "[v6]:22").
func isAnsibleAddress(s string) bool {
	if m := addrBracketedPort.FindStringSubmatch(s); m != nil {
		s = m[1]
	} else if m := addrHostPort.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	return addrIPv4.MatchString(s) || addrIPv6.MatchString(s) || addrHostname.MatchString(s)
}

// fnmatchTranslate turns a shell glob into an anchored regular expression
// as Python's fnmatch.translate does (which Ansible matches names with):
// "*", "?", "[abc]", "[a-c]", "[!a]"; a "[" without its "]" is literal.
func fnmatchTranslate(pat string) string {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	r := []rune(pat)
	for i := 0; i < len(r); {
		c := r[i]
		i++
		switch c {
		case '*':
			if !strings.HasSuffix(b.String(), ".*") {
				b.WriteString(".*")
			}
		case '?':
			b.WriteString(".")
		case '[':
			j := i
			if j < len(r) && r[j] == '!' {
				j++
			}
			if j < len(r) && r[j] == ']' {
				j++
			}
			for j < len(r) && r[j] != ']' {
				j++
			}
			if j >= len(r) {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(globClass(r[i:j]))
			i = j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)$`)
	return b.String()
}

// globClass translates the inside of a glob's "[...]" as Python's fnmatch:
// ranges kept, reversed (empty) ranges dropped, other characters literal.
func globClass(stuff []rune) string {
	neg := len(stuff) > 0 && stuff[0] == '!'
	if neg {
		stuff = stuff[1:]
	}
	if len(stuff) == 0 {
		if neg {
			return "." // "[!]": any character
		}
		return `[^\x00-\x{10FFFF}]` // "[]": nothing
	}
	var out strings.Builder
	for k := 0; k < len(stuff); k++ {
		if k+2 < len(stuff) && stuff[k+1] == '-' {
			lo, hi := stuff[k], stuff[k+2]
			if lo <= hi {
				out.WriteString(quoteClassRune(lo) + "-" + quoteClassRune(hi))
			}
			k += 2
			continue
		}
		out.WriteString(quoteClassRune(stuff[k]))
	}
	switch {
	case out.Len() == 0 && neg:
		return "."
	case out.Len() == 0:
		return `[^\x00-\x{10FFFF}]`
	case neg:
		return "[^" + out.String() + "]"
	}
	return "[" + out.String() + "]"
}

// quoteClassRune escapes a rune for a regexp character class.
func quoteClassRune(c rune) string {
	if strings.ContainsRune(`\]^-[&~|`, c) {
		return `\` + string(c)
	}
	return string(c)
}
