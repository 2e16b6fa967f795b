package module

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Python's renderings of values that Ansible's command modules put in
// their results, so that results read as Ansible's.

// pyTime renders t as Python's str(datetime.datetime.now()).
func pyTime(t time.Time) string { return t.Format("2006-01-02 15:04:05.000000") }

// pyDelta renders d as Python's str(datetime.timedelta): "0:00:00.003456",
// "1 day, 2:03:04" (no fraction when it is 0).
func pyDelta(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	us := int64(d / time.Microsecond)
	days := us / (86400 * 1e6)
	us -= days * 86400 * 1e6
	h, m, s, frac := us/3600e6, us/60e6%60, us/1e6%60, us%1e6
	out := fmt.Sprintf("%d:%02d:%02d", h, m, s)
	if frac != 0 {
		out += fmt.Sprintf(".%06d", frac)
	}
	switch {
	case days == 1:
		out = "1 day, " + out
	case days > 1:
		out = fmt.Sprintf("%d days, %s", days, out)
	}
	return out
}

// pyBytesRepr renders s as Python's repr() of bytes: b'...'.
func pyBytesRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteString("b")
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

var pyUnsafe = regexp.MustCompile(`[^\w@%+=:,./-]`)

// pyShlexQuote quotes s as Python's shlex.quote.
func pyShlexQuote(s string) string {
	if s == "" {
		return "''"
	}
	if !pyUnsafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// pyShlexJoin joins words as Ansible's _clean_args does.
func pyShlexJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = pyShlexQuote(w)
	}
	return strings.Join(q, " ")
}

// osErrors are the errno values a command that cannot start reports, with
// Python's strerror.
var osErrors = map[string]string{
	"2":  "No such file or directory",
	"13": "Permission denied",
	"20": "Not a directory",
}

// pyOSError renders an OSError as Python's str(): "[Errno 2] No such file
// or directory: b'/x'".
func pyOSError(errno, path string) string {
	return fmt.Sprintf("[Errno %s] %s: %s", errno, osErrors[errno], pyBytesRepr(path))
}
