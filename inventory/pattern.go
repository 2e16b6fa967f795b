package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/remotectl/remotectl/internal/yamlnode"
	"github.com/remotectl/remotectl/nodeset"
)

// termOp says how a pattern term combines with the others.
type termOp uint8

const (
	opUnion     termOp = iota // "a", "a,b", "a:b"
	opIntersect               // "&b"
	opExclude                 // "!b"
)

// term is one element of a host pattern, without its ! or & prefix.
type term struct {
	op   termOp
	text string
}

// parsePattern splits a host pattern into terms, as Ansible's
// split_host_pattern does: a pattern without a comma that reads as one host
// address ("2001:db8::10", "web[01:03]", "host:22") is one term; otherwise
// terms are separated by ',' or, in a pattern without a comma, by ':'
// (outside brackets, and outside parentheses and braces of a "~regex"
// term, where Ansible would split a term in two); a leading '!' excludes, a
// leading '&' intersects; blank terms are ignored.
func parsePattern(pattern string) []term {
	var raws []string
	switch {
	case strings.Contains(pattern, ","):
		raws = splitTerms(pattern, ",")
	case isAnsibleAddress(strings.TrimSpace(pattern)):
		raws = []string{pattern}
	default:
		raws = splitTerms(pattern, ":")
	}
	var terms []term
	for _, raw := range raws {
		t := strings.TrimSpace(raw)
		if t == "" {
			continue
		}
		op := opUnion
		switch t[0] {
		case '!':
			op, t = opExclude, strings.TrimSpace(t[1:])
		case '&':
			op, t = opIntersect, strings.TrimSpace(t[1:])
		}
		if t == "" {
			continue
		}
		terms = append(terms, term{op: op, text: t})
	}
	return terms
}

// splitTerms splits on the separators seps at nesting depth zero. Brackets always
// nest; in a "~regex" term parentheses and braces nest too, so "~web{1,3}"
// and "~(a|b):c" split where they should.
func splitTerms(s, seps string) []string {
	var out []string
	start, depth := 0, 0
	decided, regex := false, false // whether the current term is a regex
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !decided && c != ' ' && c != '\t' && c != '!' && c != '&' {
			decided, regex = true, c == '~'
		}
		switch {
		case c == '[' || (regex && (c == '(' || c == '{')):
			depth++
		case c == ']' || (regex && (c == ')' || c == '}')):
			depth = max(0, depth-1)
		case strings.IndexByte(seps, c) >= 0 && depth == 0:
			out = append(out, s[start:i])
			start, decided, regex = i+1, false, false
		}
	}
	return append(out, s[start:])
}

// Select returns the hosts matching pattern, intersected with the hosts
// matching limit when limit is not empty, in definition order and without
// duplicates (SelectAnsible selects as Ansible does, in its order). An empty pattern means
// "all".
//
// Patterns follow Ansible's: "all" or "*"; a group or host name; shell
// globs with classes ("web*", "db?.example.com", "db-[a-c]", "[!x]*");
// regular expressions ("~web0[1-3]", matched from the start of the name);
// subscripts of what a name or glob matches ("web[0]", "web[-1]",
// "web[0:2]" inclusive, "web[1:]"), counted in Ansible's order: the
// group's own hosts, then its children's, level by level; "@file" (one
// pattern per line, "#" comments). A pattern without a comma that reads as
// one address ("2001:db8::10") is one term; otherwise terms separated by
// ',' or ':' are a union, "&x" intersects and "!x" excludes. Unions are
// evaluated first, then intersections, then exclusions, so "!x" alone means
// all hosts but x. A name that is a host is that host alone, even if a
// group has the same name. With no inventory at all, "localhost" and "all"
// are the implicit localhost (see Inventory.Host).
//
// remotectl adds node ranges ("web[01-03]", also Ansible's "web[01:03]"
// inventory syntax) where Ansible's reading matches nothing.
//
// A plain name matching no host or group is an error (wrapping
// ErrUnknownName) suggesting close names, and so is a range some of whose
// names match nothing (the error names them, folded); a glob, regex or range
// matching nothing, or an empty result, is an error wrapping ErrNoMatch. An
// inventory without hosts selects nothing: an error wrapping ErrNoHosts.
func (inv *Inventory) Select(pattern, limit string) ([]*Host, error) {
	hosts, err := inv.selectIndexes(pattern, limit, false)
	if err != nil {
		return nil, err
	}
	slices.Sort(hosts) // the implicit localhost, index len(inv.hosts), last
	return inv.hostsAt(hosts), nil
}

// SelectAnsible selects hosts exactly as Ansible does, for plays: in
// Ansible's order (ansible --list-hosts, the order a play runs its hosts
// in: terms in the order written, a group's own hosts before its
// children's, level by level), and without remotectl's additions: a node
// range ("web0[1-3]") that Ansible reads as a subscript of a name matching
// nothing matches nothing, and with no inventory "all" does not hold the
// implicit localhost. Errors are Select's.
func (inv *Inventory) SelectAnsible(pattern, limit string) ([]*Host, error) {
	hosts, err := inv.selectIndexes(pattern, limit, true)
	if err != nil {
		return nil, err
	}
	return inv.hostsAt(hosts), nil
}

// selectIndexes returns the indexes of the hosts Select selects, in
// Ansible's order; strict leaves out what Ansible does not do.
func (inv *Inventory) selectIndexes(pattern, limit string, strict bool) ([]int, error) {
	if err := inv.CheckHosts(); err != nil {
		return nil, err
	}
	hosts, err := inv.evaluate(pattern, strict)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(limit) != "" {
		limited, err := inv.evaluate(limit, strict)
		if err != nil {
			return nil, fmt.Errorf("limit: %w", err)
		}
		hosts = keepOnly(hosts, inv.setOf(limited), true)
	}
	if len(hosts) == 0 {
		if strings.TrimSpace(limit) != "" {
			return nil, selectErrorf(ErrNoMatch, "pattern %q with limit %q matches no host", pattern, limit)
		}
		return nil, selectErrorf(ErrNoMatch, "pattern %q matches no host", pattern)
	}
	return hosts, nil
}

// hostsAt returns the hosts at indexes (len(inv.hosts) is the implicit
// localhost).
func (inv *Inventory) hostsAt(indexes []int) []*Host {
	out := make([]*Host, len(indexes))
	for i, hi := range indexes {
		if hi < len(inv.hosts) {
			out[i] = inv.hosts[hi]
		} else {
			out[i] = inv.implicit
		}
	}
	return out
}

// CheckHosts returns an error wrapping ErrNoHosts, naming the inventories,
// when inventories were given but define no host: there is nothing to
// select, and nothing falls back to the controller. Nil otherwise.
func (inv *Inventory) CheckHosts() error {
	switch {
	case len(inv.hosts) > 0 || inv.implicit != nil && len(inv.given) == 0:
		// The implicit localhost of LoadOptions.ImplicitLocalhost does not
		// make an empty inventory a target: nothing runs where nobody asked.
		return nil
	case len(inv.given) == 1:
		return selectErrorf(ErrNoHosts, "the inventory %s has no hosts", inv.given[0])
	}
	return selectErrorf(ErrNoHosts, "the inventories %s have no hosts", strings.Join(inv.given, ", "))
}

// setOf returns the set of the host indexes list.
func (inv *Inventory) setOf(list []int) bitset {
	s := inv.newSet()
	for _, i := range list {
		s.set(i)
	}
	return s
}

// keepOnly returns the hosts of list that are in s (in), or not in s (!in).
func keepOnly(list []int, s bitset, in bool) []int {
	out := list[:0:0]
	for _, i := range list {
		if s.has(i) == in {
			out = append(out, i)
		}
	}
	return out
}

// evaluate computes the hosts of one pattern, in order, as Ansible's
// _evaluate_patterns does.
func (inv *Inventory) evaluate(pattern string, strict bool) ([]int, error) {
	terms, err := inv.expandFiles(parsePattern(pattern))
	if err != nil {
		return nil, err
	}
	var regular, intersect, exclude []term
	for _, t := range terms {
		switch t.op {
		case opIntersect:
			intersect = append(intersect, t)
		case opExclude:
			exclude = append(exclude, t)
		default:
			regular = append(regular, t)
		}
	}
	if len(regular) == 0 {
		regular = []term{{text: GroupAll}}
	}
	var hosts []int
	seen := inv.newSet()
	for _, group := range [][]term{regular, intersect, exclude} {
		for _, t := range group {
			var that []int
			if hi, ok := inv.hostIdx[t.text]; ok && t.op == opUnion {
				that = []int{int(hi)} // a host's name is that host alone, as in Ansible
			} else if that, err = inv.match(t.text, strict); err != nil {
				return nil, err
			}
			switch t.op {
			case opUnion:
				for _, i := range that {
					if !seen.has(i) {
						seen.set(i)
						hosts = append(hosts, i)
					}
				}
			case opIntersect:
				hosts = keepOnly(hosts, inv.setOf(that), true)
			case opExclude:
				hosts = keepOnly(hosts, inv.setOf(that), false)
			}
			if t.op != opUnion {
				seen = inv.setOf(hosts)
			}
		}
	}
	return hosts, nil
}

// expandFiles replaces "@file" terms by the patterns in the file.
func (inv *Inventory) expandFiles(terms []term) ([]term, error) {
	var out []term
	for _, t := range terms {
		if !strings.HasPrefix(t.text, "@") {
			out = append(out, t)
			continue
		}
		if t.op != opUnion {
			return nil, fmt.Errorf("pattern term %q: a @file cannot be negated or intersected; put ! or & on the lines of the file", t.text)
		}
		path := t.text[1:]
		data, err := inv.readPatternFile(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is already in the message
			}
			return nil, fmt.Errorf("pattern file %s: %w", path, err)
		}
		for line := range strings.Lines(string(data)) {
			line, _, _ = strings.Cut(line, "#")
			for _, ft := range parsePattern(line) {
				if strings.HasPrefix(ft.text, "@") {
					return nil, fmt.Errorf("pattern file %s: %q: a pattern file cannot include another", path, ft.text)
				}
				out = append(out, ft)
			}
		}
	}
	return out, nil
}

// subscriptRE is Ansible's PATTERN_WITH_SUBSCRIPT: "pattern[i]" and
// "pattern[start:end]" (end inclusive, may be left out; "-" is accepted
// for ":", as Ansible still does).
var subscriptRE = regexp.MustCompile(`^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$`)

// match computes the hosts one term (without ! or &) stands for, in
// Ansible's order, possibly with duplicates (as Ansible counts them in
// subscripts).
func (inv *Inventory) match(text string, strict bool) ([]int, error) {
	if strings.HasPrefix(text, "~") {
		return inv.matchRegex(text)
	}
	expr, m := text, subscriptRE.FindStringSubmatch(text)
	if m != nil {
		expr = m[1]
	}
	hosts, found, err := inv.enumerate(expr, strict)
	if err != nil {
		return nil, err
	}
	if m != nil && len(hosts) > 0 {
		return inv.subscript(text, m, hosts)
	}
	if found && m == nil {
		return hosts, nil // an empty group is no error here
	}
	if strict && m != nil {
		return nil, selectErrorf(ErrNoMatch, "pattern %s matches no host: Ansible reads it as a subscript of %s, which matches nothing", text, m[1])
	}
	if strings.ContainsAny(text, "[]") && !strings.HasPrefix(text, "[") && !strict {
		hosts, err := inv.matchRange(text) // remotectl's node ranges
		var se *selectError
		if err != nil && !errors.As(err, &se) && isGlob(text) {
			// Not a range either: it is a glob that matches nothing.
			return nil, selectErrorf(ErrNoMatch, "pattern %s matches no host or group (nor is it a node range: %v)", text, err)
		}
		return hosts, err
	}
	if strings.ContainsAny(expr, "*?[") {
		return nil, selectErrorf(ErrNoMatch, "pattern %s matches no host or group", text)
	}
	msg := fmt.Sprintf("%q is not a host or group of the inventory", expr)
	if close := yamlnode.Suggest(expr, inv.Names(), 3); len(close) > 0 {
		msg += "; did you mean " + quoteList(close) + "?"
	}
	return nil, selectErrorf(ErrUnknownName, "%s", msg)
}

// enumerate returns the hosts a name or glob stands for, as Ansible's
// _enumerate_matches: the hosts of every matching group, then, when no
// group matched or the pattern has any of ".?*[", the matching hosts.
// found tells whether a group or host matched (a group may be empty).
func (inv *Inventory) enumerate(expr string, strict bool) (out []int, found bool, err error) {
	matches, err := globMatcher(expr)
	if err != nil {
		return nil, false, err
	}
	matchedGroup := false
	if gi, ok := inv.groupIdx[expr]; ok && !isGlob(expr) {
		out, matchedGroup = inv.groupHosts(gi), true
	} else if isGlob(expr) {
		for gi, g := range inv.groups {
			if matches(g.Name) {
				out = append(out, inv.groupHosts(int32(gi))...)
				matchedGroup = true
			}
		}
	}
	if !matchedGroup || strings.ContainsAny(expr, ".?*[") {
		if !isGlob(expr) {
			if hi, ok := inv.hostIdx[expr]; ok {
				out = append(out, int(hi))
			}
		} else {
			for hi, h := range inv.hosts {
				if matches(h.Name) {
					out = append(out, hi)
				}
			}
		}
	}
	if len(out) == 0 && inv.implicit != nil &&
		(isLocalhostName(expr) || (inv.implicitInAll && !strict && (expr == GroupAll || expr == "*"))) {
		// No inventory at all: "all" is the implicit localhost, so
		// `remotectl exec -- CMD` just works on a fresh machine.
		out = []int{len(inv.hosts)}
	}
	return out, matchedGroup || len(out) > 0, nil
}

// isGlob reports whether a pattern has shell-glob characters.
func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// globMatcher returns a matcher for a shell glob, as Python's fnmatch
// (what Ansible uses): a name without glob characters matches itself.
func globMatcher(expr string) (func(string) bool, error) {
	if !isGlob(expr) {
		return func(name string) bool { return name == expr }, nil
	}
	if !strings.Contains(expr, "[") {
		return func(name string) bool { return globMatch(expr, name) }, nil
	}
	re, err := regexp.Compile(fnmatchTranslate(expr))
	if err != nil {
		return nil, fmt.Errorf("pattern %s: bad glob: %v", expr, err)
	}
	return re.MatchString, nil
}

// groupHosts returns the hosts of group gi in Ansible's order
// (Group.get_hosts): the group's own hosts, then those of its children,
// then of their children, level by level, each host once.
func (inv *Inventory) groupHosts(gi int32) []int {
	ordered := append([]int32{gi}, inv.children[gi]...)
	seen := make([]bool, len(inv.groups))
	for _, g := range ordered {
		seen[g] = true
	}
	for level := ordered; len(level) > 0; {
		var next []int32
		for _, g := range level {
			for _, c := range inv.children[g] {
				if !seen[c] {
					seen[c] = true
					ordered = append(ordered, c)
					next = append(next, c)
				}
			}
		}
		level = next
	}
	var out []int
	have := inv.newSet()
	for _, g := range ordered {
		for _, hi := range inv.members[g] {
			if !have.has(int(hi)) {
				have.set(int(hi))
				out = append(out, int(hi))
			}
		}
	}
	if gi == 0 { // every host is in "all", whatever the group graph says
		for hi := range inv.hosts {
			if !have.has(hi) {
				out = append(out, hi)
			}
		}
	}
	return out
}

// matchRegex matches "~regex" against group and host names, anchored at the
// start of the name as Python's re.match is: the hosts of matching groups,
// then matching hosts.
func (inv *Inventory) matchRegex(text string) ([]int, error) {
	re, err := regexp.Compile("^(?:" + text[1:] + ")")
	if err != nil {
		return nil, fmt.Errorf("pattern %s: bad regular expression: %v", text, err)
	}
	var out []int
	for gi, g := range inv.groups {
		if re.MatchString(g.Name) {
			out = append(out, inv.groupHosts(int32(gi))...)
		}
	}
	for hi, h := range inv.hosts {
		if re.MatchString(h.Name) {
			out = append(out, hi)
		}
	}
	if len(out) == 0 {
		return nil, selectErrorf(ErrNoMatch, "pattern %s matches no host or group", text)
	}
	return out, nil
}

// matchRange expands a node range ("web[01-03]", or Ansible's "web[01:03]")
// and matches each name (names may still hold globs). A range matching
// nothing at all is an error wrapping ErrNoMatch; one that matches only in
// part is an error wrapping ErrUnknownName that names, folded, what matches
// nothing: "web[01-30]" with web01-web25 defined must not quietly mean 25 hosts.
func (inv *Inventory) matchRange(text string) ([]int, error) {
	var names []string
	var err error
	if strings.Contains(text, ":") {
		names, err = expandAnsibleRange(text, inv.maxHosts)
	} else {
		names, err = nodeset.Expand(text, inv.maxHosts)
	}
	if err != nil {
		return nil, fmt.Errorf("pattern %s: %v", text, err)
	}
	var out []int
	var missing []string
	for _, name := range names {
		part, found, err := inv.enumerate(name, false)
		if err != nil {
			return nil, err
		}
		if !found {
			missing = append(missing, name)
			continue
		}
		out = append(out, part...)
	}
	switch {
	case len(out) == 0:
		return nil, selectErrorf(ErrNoMatch, "pattern %s matches no host", text)
	case len(missing) == 1:
		return nil, selectErrorf(ErrUnknownName, "pattern %s: %s is not a host or group of the inventory", text, missing[0])
	case len(missing) > 1:
		return nil, selectErrorf(ErrUnknownName, "pattern %s: %s are not hosts or groups of the inventory", text, nodeset.Fold(missing))
	}
	return out, nil
}

// subscript applies an Ansible subscript (m, from subscriptRE) to hosts,
// as Ansible's _apply_subscript: "[i]" (negative counts from the end) or
// "[start:end]" (inclusive; an empty end means the last host).
func (inv *Inventory) subscript(text string, m []string, hosts []int) ([]int, error) {
	if m[2] != "" {
		i, err := strconv.Atoi(m[2])
		if i < 0 {
			i += len(hosts)
		}
		if err != nil || i < 0 || i >= len(hosts) {
			return nil, selectErrorf(ErrNoMatch, "pattern %s: index %s is out of range: %s has %d hosts", text, m[2], m[1], len(hosts))
		}
		return hosts[i : i+1], nil
	}
	start, err1 := strconv.Atoi(m[3])
	end, err2 := len(hosts)-1, error(nil)
	if m[5] != "" {
		end, err2 = strconv.Atoi(m[5])
	}
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pattern %s: bad subscript", text)
	}
	if end == 0 { // Ansible reads [i:0] as [i]
		end = start
	}
	if start >= len(hosts) || start > end {
		return nil, selectErrorf(ErrNoMatch, "pattern %s: subscript selects no host: %s has %d hosts", text, m[1], len(hosts))
	}
	return hosts[start:min(end+1, len(hosts))], nil
}

// globMatch reports whether name matches glob, where '*' matches any run of
// characters and '?' any one character.
func globMatch(glob, name string) bool {
	gi, ni := 0, 0
	starG, starN := -1, 0
	for ni < len(name) {
		switch {
		case gi < len(glob) && glob[gi] == '*':
			starG, starN = gi, ni
			gi++
		case gi < len(glob) && (glob[gi] == '?' || glob[gi] == name[ni]):
			gi++
			ni++
		case starG >= 0:
			starN++
			gi, ni = starG+1, starN
		default:
			return false
		}
	}
	for gi < len(glob) && glob[gi] == '*' {
		gi++
	}
	return gi == len(glob)
}

// ---- host sets ----

// bitset is a set of host indexes; index len(hosts) is the implicit localhost.
type bitset []uint64

// newSet returns an empty set sized for the inventory.
func (inv *Inventory) newSet() bitset { return make(bitset, (len(inv.hosts)+1+63)/64) }

func (s bitset) set(i int) { s[i/64] |= 1 << (uint(i) % 64) }

func (s bitset) has(i int) bool { return s[i/64]&(1<<(uint(i)%64)) != 0 }

func (s bitset) or(o bitset) {
	for i := range s {
		s[i] |= o[i]
	}
}

func (s bitset) and(o bitset) {
	for i := range s {
		s[i] &= o[i]
	}
}

func (s bitset) andNot(o bitset) {
	for i := range s {
		s[i] &^= o[i]
	}
}

func (s bitset) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

func (s bitset) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// each calls f for every member, in increasing order.
func (s bitset) each(f func(int)) {
	for wi, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			f(wi*64 + b)
			w &^= 1 << uint(b)
		}
	}
}

// indexes returns the members in increasing order.
func (s bitset) indexes() []int {
	out := make([]int, 0, s.count())
	s.each(func(i int) { out = append(out, i) })
	return out
}

// selectError is a host-selection failure: a message for people and a kind
// (ErrUnknownName or ErrNoMatch) for errors.Is.
type selectError struct {
	msg  string
	kind error
}

func (e *selectError) Error() string { return e.msg }
func (e *selectError) Unwrap() error { return e.kind }

// selectErrorf returns a *selectError of the given kind.
func selectErrorf(kind error, format string, args ...any) error {
	return &selectError{msg: fmt.Sprintf(format, args...), kind: kind}
}
