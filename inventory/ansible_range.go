package inventory

import (
	"fmt"
	"math/bits"
	"net"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// asciiLetters is Python's string.ascii_letters, which Ansible indexes for
// letter ranges ("[a:f]").
const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// splitAnsibleHost splits an Ansible inventory host entry into its host part
// and optional port, as Ansible's parse_address does: "db1:2222",
// "[2001:db8::1]:22", "10.0.0.[1:3]:22". A bare IPv6 address has no port.
func splitAnsibleHost(entry string) (host string, port int, err error) {
	s := strings.TrimSpace(entry)
	if strings.HasSuffix(s, ":") {
		return "", 0, fmt.Errorf("host %q ends with ':', which is reserved for a port number", entry)
	}
	if strings.HasPrefix(s, "[") {
		if end := strings.IndexByte(s, ']'); end > 0 {
			inner, rest := s[1:end], s[end+1:]
			if ip := net.ParseIP(inner); ip != nil && strings.Contains(inner, ":") {
				if rest == "" {
					return inner, 0, nil
				}
				if p, ok := strings.CutPrefix(rest, ":"); ok && isDigits(p) {
					port, err := parsePort(p)
					return inner, port, err
				}
			}
		}
	}
	colons := colonsOutsideBrackets(s)
	if len(colons) != 1 {
		return s, 0, nil // a plain name, or a bare IPv6 address
	}
	name, p := s[:colons[0]], s[colons[0]+1:]
	if !isDigits(p) {
		return s, 0, nil
	}
	port, err = parsePort(p)
	return name, port, err
}

// parsePort parses a port number.
func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("port must be between 1 and 65535, got %s", s)
	}
	return n, remote.ValidPort("port", n)
}

// colonsOutsideBrackets returns the offsets of ':' not inside "[...]".
func colonsOutsideBrackets(s string) []int {
	var out []int
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth = max(0, depth-1)
		case ':':
			if depth == 0 {
				out = append(out, i)
			}
		}
	}
	return out
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ansibleSeq is the expansion of one "[begin:end:step]": letters (already
// stepped) or the numbers lo, lo+step, ... up to hi, zero-padded to width.
type ansibleSeq struct {
	letters  string
	lo, step uint64
	width    int
	n        uint64 // how many values
}

// count returns how many values the range yields.
func (q ansibleSeq) count() uint64 { return q.n }

// value returns the i-th value of the range.
func (q ansibleSeq) value(i uint64) string {
	if q.letters != "" {
		return q.letters[i : i+1]
	}
	s := strconv.FormatUint(q.lo+i*q.step, 10)
	if len(s) < q.width {
		s = strings.Repeat("0", q.width-len(s)) + s
	}
	return s
}

// parseAnsibleSeq parses the inside of an Ansible host range as Ansible's
// expand_hostname_range does: "01:50" (zero padding kept when begin has a
// leading zero; begin and end must then have the same width), "a:f"
// (letters), "1:10:2" (step). An empty begin means 0.
func parseAnsibleSeq(body string) (ansibleSeq, error) {
	bounds := strings.Split(body, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return ansibleSeq{}, fmt.Errorf("range [%s] must be [begin:end] or [begin:end:step]", body)
	}
	beg, end := bounds[0], bounds[1]
	step := uint64(1)
	if len(bounds) == 3 {
		s, err := strconv.ParseUint(bounds[2], 10, 64)
		if err != nil || s == 0 {
			return ansibleSeq{}, fmt.Errorf("range [%s]: step must be a positive number, got %q", body, bounds[2])
		}
		step = s
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return ansibleSeq{}, fmt.Errorf("range [%s] has no end value", body)
	}
	width := 0
	if beg[0] == '0' && len(beg) > 1 {
		width = len(beg)
		if len(end) != width {
			return ansibleSeq{}, fmt.Errorf("range [%s]: begin and end must have the same width when begin has leading zeros", body)
		}
	}
	ib, ie := strings.Index(asciiLetters, beg), strings.Index(asciiLetters, end)
	if ib >= 0 && ie >= 0 {
		if ib > ie {
			return ansibleSeq{}, fmt.Errorf("range [%s]: begin must not come after end", body)
		}
		var letters []byte
		for i := uint64(ib); ; i += step {
			letters = append(letters, asciiLetters[i])
			if uint64(ie)-i < step {
				break
			}
		}
		return ansibleSeq{letters: string(letters), n: uint64(len(letters))}, nil
	}
	lo, err1 := strconv.ParseUint(beg, 10, 64)
	hi, err2 := strconv.ParseUint(end, 10, 64)
	if err1 != nil || err2 != nil {
		return ansibleSeq{}, fmt.Errorf("range [%s] must be between two numbers or two letters", body)
	}
	if lo > hi {
		return ansibleSeq{}, fmt.Errorf("range [%s]: begin must not be greater than end", body)
	}
	return ansibleSeq{lo: lo, step: step, width: width, n: (hi-lo)/step + 1}, nil
}

// expandAnsibleRange expands every "[begin:end(:step)]" of a host name as
// Ansible does (several ranges form a cartesian product, the leftmost varying
// slowest). It fails if the name would stand for more than max names.
func expandAnsibleRange(name string, max int) ([]string, error) {
	if !strings.ContainsAny(name, "[]") {
		return []string{name}, nil
	}
	var texts []string
	var seqs []ansibleSeq
	rest := name
	total := uint64(1)
	for {
		open := strings.IndexByte(rest, '[')
		close := strings.IndexByte(rest, ']')
		if open < 0 && close < 0 {
			break
		}
		if open < 0 || close < open {
			return nil, fmt.Errorf("host range %q has unbalanced brackets", name)
		}
		seq, err := parseAnsibleSeq(rest[open+1 : close])
		if err != nil {
			return nil, fmt.Errorf("host range %q: %v", name, err)
		}
		texts = append(texts, rest[:open])
		seqs = append(seqs, seq)
		hi, lo := bits.Mul64(total, seq.count())
		if hi != 0 || lo > uint64(max) {
			return nil, fmt.Errorf("host range %q expands to more than %d names", name, max)
		}
		total = lo
		rest = rest[close+1:]
	}
	texts = append(texts, rest)
	out := make([]string, 0, total)
	idx := make([]uint64, len(seqs))
	var b strings.Builder
	for n := uint64(0); n < total; n++ {
		b.Reset()
		for k, seq := range seqs {
			b.WriteString(texts[k])
			b.WriteString(seq.value(idx[k]))
		}
		b.WriteString(texts[len(seqs)])
		out = append(out, b.String())
		for k := len(seqs) - 1; k >= 0; k-- { // odometer, rightmost fastest
			idx[k]++
			if idx[k] < seqs[k].count() {
				break
			}
			idx[k] = 0
		}
	}
	return out, nil
}

// expandAnsibleHost turns an Ansible host entry into host names and a port
// (0 when none is given).
func expandAnsibleHost(entry string, max int) ([]string, int, error) {
	host, port, err := splitAnsibleHost(entry)
	if err != nil {
		return nil, 0, err
	}
	if host == "" {
		return nil, 0, fmt.Errorf("empty host name")
	}
	names, err := expandAnsibleRange(host, max)
	return names, port, err
}
