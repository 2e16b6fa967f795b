package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"regexp"
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

// parsePattern splits a host pattern into terms, as Ansible does: terms are
// separated by ',' or ':' (outside brackets, and outside parentheses and
// braces of a "~regex" term); a leading '!' excludes, a leading '&'
// intersects; blank terms are ignored.
func parsePattern(pattern string) []term {
	var terms []term
	for _, raw := range splitTerms(pattern) {
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

// splitTerms splits on ',' and ':' at nesting depth zero. Brackets always
// nest; in a "~regex" term parentheses and braces nest too, so "~web{1,3}"
// and "~(a|b):c" split where they should.
func splitTerms(s string) []string {
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
		case (c == ',' || c == ':') && depth == 0:
			out = append(out, s[start:i])
			start, decided, regex = i+1, false, false
		}
	}
	return append(out, s[start:])
}

// Select returns the hosts matching pattern, intersected with the hosts
// matching limit when limit is not empty, in definition order and without
// duplicates. An empty pattern means "all".
//
// Patterns follow Ansible: "all" or "*"; a group or host name; globs
// ("web*", "db?.example.com"); regular expressions ("~web0[1-3]", matched
// from the start of the name); node ranges ("web[01-03]", also Ansible's
// "web[01:03]"); subscripts of a group or glob ("web[0]", "web[-1]",
// "web[0:2]", inclusive, in definition order) — "x[1]" and "x[1:2]" are
// subscripts when x is a group, ranges otherwise; "@file" (one pattern per line, "#" comments). Terms separated
// by ',' or ':' are a union; "&x" intersects and "!x" excludes. Unions are
// evaluated first, then intersections, then exclusions, so "!x" alone means
// all hosts but x. With no inventory at all, "localhost" and "all" are the
// implicit localhost (see Inventory.Host).
//
// A plain name matching no host or group is an error (wrapping
// ErrUnknownName) suggesting close names, and so is a range some of whose
// names match nothing (the error names them, folded); a glob, regex or range
// matching nothing, or an empty result, is an error wrapping ErrNoMatch. An
// inventory without hosts selects nothing: an error wrapping ErrNoHosts.
func (inv *Inventory) Select(pattern, limit string) ([]*Host, error) {
	if err := inv.CheckHosts(); err != nil {
		return nil, err
	}
	set, err := inv.evaluate(pattern)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(limit) != "" {
		limited, err := inv.evaluate(limit)
		if err != nil {
			return nil, fmt.Errorf("limit: %w", err)
		}
		set.and(limited)
	}
	if set.empty() {
		if strings.TrimSpace(limit) != "" {
			return nil, selectErrorf(ErrNoMatch, "pattern %q with limit %q matches no host", pattern, limit)
		}
		return nil, selectErrorf(ErrNoMatch, "pattern %q matches no host", pattern)
	}
	return inv.hostsIn(set), nil
}

// CheckHosts returns an error wrapping ErrNoHosts, naming the inventories,
// when inventories were given but define no host: there is nothing to
// select, and nothing falls back to the controller. Nil otherwise.
func (inv *Inventory) CheckHosts() error {
	switch {
	case len(inv.hosts) > 0 || inv.implicit != nil:
		return nil
	case len(inv.given) == 1:
		return selectErrorf(ErrNoHosts, "the inventory %s has no hosts", inv.given[0])
	}
	return selectErrorf(ErrNoHosts, "the inventories %s have no hosts", strings.Join(inv.given, ", "))
}

// hostsIn lists the hosts of a set in definition order (implicit localhost last).
func (inv *Inventory) hostsIn(set bitset) []*Host {
	out := make([]*Host, 0, set.count())
	set.each(func(i int) {
		if i < len(inv.hosts) {
			out = append(out, inv.hosts[i])
		} else {
			out = append(out, inv.implicit)
		}
	})
	return out
}

// evaluate computes the host set of one pattern.
func (inv *Inventory) evaluate(pattern string) (bitset, error) {
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
	result := inv.newSet()
	for _, group := range [][]term{regular, intersect, exclude} {
		for _, t := range group {
			s, err := inv.match(t.text)
			if err != nil {
				return nil, err
			}
			switch t.op {
			case opUnion:
				result.or(s)
			case opIntersect:
				result.and(s)
			case opExclude:
				result.andNot(s)
			}
		}
	}
	return result, nil
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

// subscriptRE matches "pattern[i]" and "pattern[start:end]" (Ansible's
// subscripts; end is inclusive and may be left out).
var subscriptRE = regexp.MustCompile(`^([^\[]+)\[(?:(-?[0-9]+)|([0-9]+):([0-9]*))\]$`)

// match computes the hosts one term (without ! or &) stands for.
func (inv *Inventory) match(text string) (bitset, error) {
	switch {
	case text == GroupAll || text == "*":
		s := inv.newSet()
		for i := range inv.hosts {
			s.set(i)
		}
		if inv.implicit != nil {
			// No inventory at all: "all" is the implicit localhost, so
			// `remotectl exec -- CMD` just works on a fresh machine.
			s.set(len(inv.hosts))
		}
		return s, nil
	case strings.HasPrefix(text, "~"):
		return inv.matchRegex(text)
	case strings.ContainsAny(text, "[]"):
		if m := subscriptRE.FindStringSubmatch(text); m != nil && inv.subscriptable(m[1]) {
			return inv.matchSubscript(text, m)
		}
		return inv.matchRange(text)
	case strings.ContainsAny(text, "*?"):
		return inv.matchGlob(text, true)
	}
	return inv.matchName(text)
}

// subscriptable reports whether base[...] is a subscript rather than a range:
// base must be a group or a glob.
func (inv *Inventory) subscriptable(base string) bool {
	if _, ok := inv.groupIdx[base]; ok {
		return true
	}
	return strings.ContainsAny(base, "*?")
}

// matchName matches a plain name: a group, a host, or both; otherwise the
// implicit localhost, or an error suggesting close names.
func (inv *Inventory) matchName(name string) (bitset, error) {
	if s, found := inv.lookupName(name); found {
		return s, nil
	}
	msg := fmt.Sprintf("%q is not a host or group of the inventory", name)
	if close := yamlnode.Suggest(name, inv.Names(), 3); len(close) > 0 {
		msg += "; did you mean " + quoteList(close) + "?"
	}
	return nil, selectErrorf(ErrUnknownName, "%s", msg)
}

// lookupName returns the hosts a plain name stands for: a group, a host, or
// both, or the implicit localhost; false when it names nothing.
func (inv *Inventory) lookupName(name string) (bitset, bool) {
	s := inv.newSet()
	found := false
	if gi, ok := inv.groupIdx[name]; ok {
		inv.addGroup(s, gi, nil)
		found = true
	}
	if hi, ok := inv.hostIdx[name]; ok {
		s.set(int(hi))
		found = true
	}
	if !found && name == implicitLocalhost && inv.implicit != nil {
		s.set(len(inv.hosts))
		found = true
	}
	return s, found
}

// matchGlob matches a glob against group and host names. With mustMatch, a
// glob matching nothing is an error.
func (inv *Inventory) matchGlob(glob string, mustMatch bool) (bitset, error) {
	s := inv.newSet()
	seen := make([]bool, len(inv.groups))
	found := false
	for gi, g := range inv.groups {
		if globMatch(glob, g.Name) {
			inv.addGroup(s, int32(gi), seen)
			found = true
		}
	}
	for hi, h := range inv.hosts {
		if globMatch(glob, h.Name) {
			s.set(hi)
			found = true
		}
	}
	if !found && mustMatch {
		return nil, selectErrorf(ErrNoMatch, "pattern %s matches no host or group", glob)
	}
	return s, nil
}

// matchRegex matches "~regex" against group and host names, anchored at the
// start of the name as Python's re.match is.
func (inv *Inventory) matchRegex(text string) (bitset, error) {
	re, err := regexp.Compile("^(?:" + text[1:] + ")")
	if err != nil {
		return nil, fmt.Errorf("pattern %s: bad regular expression: %v", text, err)
	}
	s := inv.newSet()
	seen := make([]bool, len(inv.groups))
	found := false
	for gi, g := range inv.groups {
		if re.MatchString(g.Name) {
			inv.addGroup(s, int32(gi), seen)
			found = true
		}
	}
	for hi, h := range inv.hosts {
		if re.MatchString(h.Name) {
			s.set(hi)
			found = true
		}
	}
	if !found {
		return nil, selectErrorf(ErrNoMatch, "pattern %s matches no host or group", text)
	}
	return s, nil
}

// matchRange expands a node range ("web[01-03]", or Ansible's "web[01:03]")
// and matches each name (names may still hold globs). A range matching
// nothing at all is an error wrapping ErrNoMatch; one that matches only in
// part is an error wrapping ErrUnknownName that names, folded, what matches
// nothing: "web[01-30]" with web01-web25 defined must not quietly mean 25 hosts.
func (inv *Inventory) matchRange(text string) (bitset, error) {
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
	s := inv.newSet()
	var missing []string
	for _, name := range names {
		var part bitset
		var found bool
		if strings.ContainsAny(name, "*?") {
			var err error
			part, err = inv.matchGlob(name, true)
			found = err == nil
		} else {
			part, found = inv.lookupName(name)
		}
		if !found {
			missing = append(missing, name)
			continue
		}
		s.or(part)
	}
	switch {
	case s.empty():
		return nil, selectErrorf(ErrNoMatch, "pattern %s matches no host", text)
	case len(missing) == 1:
		return nil, selectErrorf(ErrUnknownName, "pattern %s: %s is not a host or group of the inventory", text, missing[0])
	case len(missing) > 1:
		return nil, selectErrorf(ErrUnknownName, "pattern %s: %s are not hosts or groups of the inventory", text, nodeset.Fold(missing))
	}
	return s, nil
}

// matchSubscript applies an Ansible subscript to the hosts of a group or
// glob: "[i]" (negative counts from the end) or "[start:end]" (inclusive; an
// empty end means the last host).
func (inv *Inventory) matchSubscript(text string, m []string) (bitset, error) {
	base, err := inv.match(m[1])
	if err != nil {
		return nil, err
	}
	hosts := base.indexes()
	s := inv.newSet()
	if m[2] != "" {
		i, err := strconv.Atoi(m[2])
		if i < 0 {
			i += len(hosts)
		}
		if err != nil || i < 0 || i >= len(hosts) {
			return nil, selectErrorf(ErrNoMatch, "pattern %s: index %s is out of range: %s has %d hosts", text, m[2], m[1], len(hosts))
		}
		s.set(hosts[i])
		return s, nil
	}
	start, err1 := strconv.Atoi(m[3])
	end := len(hosts) - 1
	var err2 error
	if m[4] != "" {
		end, err2 = strconv.Atoi(m[4])
	}
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pattern %s: bad subscript", text)
	}
	for i := start; i <= end && i < len(hosts); i++ {
		s.set(hosts[i])
	}
	if s.empty() {
		return nil, selectErrorf(ErrNoMatch, "pattern %s: subscript selects no host: %s has %d hosts", text, m[1], len(hosts))
	}
	return s, nil
}

// addGroup adds the hosts of group gi and of its descendants to s. seen
// (optional) marks groups already added, shared across calls.
func (inv *Inventory) addGroup(s bitset, gi int32, seen []bool) {
	if gi == 0 { // "all": every host, whatever the group graph says
		for i := range inv.hosts {
			s.set(i)
		}
		return
	}
	if seen == nil {
		seen = make([]bool, len(inv.groups))
	}
	stack := []int32{gi}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[g] {
			continue
		}
		seen[g] = true
		for _, hi := range inv.members[g] {
			s.set(int(hi))
		}
		stack = append(stack, inv.children[g]...)
	}
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
