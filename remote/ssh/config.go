package ssh

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	sshconfig "github.com/kevinburke/ssh_config"
)

// ssh_config support.
//
// github.com/kevinburke/ssh_config parses each file (keywords, values,
// comments, Host blocks with their patterns). Three things are layered on
// top, because the library either lacks them or does them in a way that
// cannot be used here:
//
//   - Match: the library understands only `Match host` and `Match all` and
//     fails the whole file on anything else. Match lines are therefore parsed
//     here and handed to the library as a placeholder Host line. Supported
//     criteria: all, host, originalhost, user, localuser (each may be negated
//     with !, patterns are comma-separated lists as in OpenSSH), final (always
//     true: remotectl evaluates the configuration in one pass, which is the
//     final one) and canonical (always false: remotectl does not canonicalize
//     host names). exec, localnetwork, tagged, version, sessiontype and
//     command never match and are reported once as a warning; any other
//     criterion is an error, as in OpenSSH.
//   - Include: the library resolves relative paths against the real home
//     directory (os/user), which must not be used when Options.Home says
//     otherwise. Include lines are resolved here (relative to Home/.ssh, ~
//     expanded, globs sorted, at most 16 levels) with OpenSSH's semantics: an
//     Include inside a Host or Match block applies only when that block
//     matches.
//   - Lookups: the library scans every block for every key. The
//     configuration is compiled once per Dialer into a flat list of blocks,
//     and a target is resolved in one pass over it, so that 1,000 Host blocks
//     and 1,000 targets stay well under a millisecond per target.
//
// As in OpenSSH, the first value found for a keyword wins (IdentityFile and
// CertificateFile accumulate), Host patterns match the name as given and
// Match host matches the HostName set so far.

// maxIncludeDepth is OpenSSH's READCONF_MAX_DEPTH.
const maxIncludeDepth = 16

// Placeholders replacing Match and Include lines before the library sees them.
const (
	matchPlaceholder   = "remotectl-match-"
	includePlaceholder = "RemotectlInclude"
)

// multiValued are the keywords whose values accumulate instead of the first
// one winning.
var multiValued = map[string]bool{"identityfile": true, "certificatefile": true}

// sshConfig is a compiled ssh_config: blocks in file order, includes inlined.
type sshConfig struct {
	blocks []configBlock
	// unsupported lists Match criteria that were treated as never matching.
	unsupported []string
}

// configBlock is a run of entries that apply when every condition holds.
type configBlock struct {
	conds   []blockCond
	entries []configEntry
}

// configEntry is one keyword line.
type configEntry struct {
	key   string // lower case
	value string // unquoted by the library
	multi bool   // the value is several arguments (not one quoted string)
	pos   string // file:line, for error messages
	order int    // position among all the entries, in file order
}

// blockCond is a Host line or a Match line.
type blockCond interface {
	match(s *matchState) bool
}

// matchState is what conditions are evaluated against while resolving.
type matchState struct {
	original  string // host as given, lower case
	host      string // HostName set so far (else original), lower case
	user      string // remote user: the target's, else User set so far, else local
	localUser string
}

// hostCond is a Host line: a whitespace-separated pattern list matched
// against the original host name.
type hostCond struct{ patterns patternList }

func (c hostCond) match(s *matchState) bool { return c.patterns.match(s.original) }

// matchCond is a Match line: every criterion must hold.
type matchCond struct{ criteria []criterion }

func (c matchCond) match(s *matchState) bool {
	for _, cr := range c.criteria {
		if cr.match(s) == cr.negate {
			return false
		}
	}
	return true
}

// criterion is one Match criterion, e.g. `user root,admin` or `!host *.lan`.
type criterion struct {
	kind     string // all, host, originalhost, user, localuser, final, canonical, or unsupported
	negate   bool
	patterns patternList
}

func (cr criterion) match(s *matchState) bool {
	switch cr.kind {
	case "all", "final":
		return true
	case "host":
		return cr.patterns.match(s.host)
	case "originalhost":
		return cr.patterns.match(s.original)
	case "user":
		return cr.patterns.match(s.user)
	case "localuser":
		return cr.patterns.match(s.localUser)
	}
	return false
}

// pattern is one compiled entry of a pattern list.
type pattern struct {
	text    string
	negated bool
	literal bool // no wildcard: compared as a string
}

// patternList is a compiled OpenSSH pattern list (see matchPatternList).
type patternList []pattern

// compilePatterns compiles patterns; fold lower-cases them (host names are
// matched case-insensitively, and the names are lower-cased before).
func compilePatterns(list []string, fold bool) patternList {
	out := make(patternList, 0, len(list))
	for _, p := range list {
		var c pattern
		if strings.HasPrefix(p, "!") {
			c.negated, p = true, p[1:]
		}
		if fold {
			p = strings.ToLower(p)
		}
		if p == "" {
			continue
		}
		c.text, c.literal = p, !strings.ContainsAny(p, "*?")
		out = append(out, c)
	}
	return out
}

// match implements OpenSSH's match_pattern_list: the list matches when some
// positive pattern matches and no negated pattern does.
func (l patternList) match(s string) bool {
	matched := false
	for _, p := range l {
		if p.literal && p.text != s || !p.literal && !wildcardMatch(p.text, s) {
			continue
		}
		if p.negated {
			return false
		}
		matched = true
	}
	return matched
}

// configValues are the settings that apply to one host.
type configValues struct {
	vals map[string][]configEntry
}

// get returns the first value of key ("" when unset).
func (v *configValues) get(key string) string {
	if e, ok := v.entry(key); ok {
		return e.value
	}
	return ""
}

// entry returns the first entry of key.
func (v *configValues) entry(key string) (configEntry, bool) {
	if es := v.vals[key]; len(es) > 0 {
		return es[0], true
	}
	return configEntry{}, false
}

// all returns every value of a multi-valued key, in order.
func (v *configValues) all(key string) []configEntry { return v.vals[key] }

// resolve returns the settings for a host. host is the name as given (the
// target's address), user the target's user ("" when the inventory does
// not set one).
func (c *sshConfig) resolve(host, user, localUser string) *configValues {
	lower := strings.ToLower(host)
	st := &matchState{original: lower, host: lower, user: user, localUser: localUser}
	if st.user == "" {
		st.user = localUser
	}
	v := &configValues{vals: make(map[string][]configEntry, 8)}
	for i := range c.blocks {
		b := &c.blocks[i]
		if !allMatch(b.conds, st) {
			continue
		}
		for _, e := range b.entries {
			if len(v.vals[e.key]) > 0 && !multiValued[e.key] {
				continue
			}
			v.vals[e.key] = append(v.vals[e.key], e)
			switch e.key {
			case "hostname":
				st.host = strings.ToLower(expandHostName(e.value, host))
			case "user":
				if user == "" {
					st.user = e.value
				}
			}
		}
	}
	return v
}

func allMatch(conds []blockCond, st *matchState) bool {
	for _, c := range conds {
		if !c.match(st) {
			return false
		}
	}
	return true
}

// expandHostName expands the tokens OpenSSH allows in HostName.
func expandHostName(value, host string) string {
	if !strings.Contains(value, "%") {
		return value
	}
	return strings.NewReplacer("%%", "%", "%h", host).Replace(value)
}

// configLoader reads a configuration file and its includes.
type configLoader struct {
	home        string
	unsupported []string
	// ignoreUnknown are the IgnoreUnknown patterns: unknown keywords they
	// match are skipped.
	ignoreUnknown patternList
	entries       int // entries read so far
}

// loadSSHConfig reads and compiles the ssh_config at path. A missing file is
// an empty configuration.
func loadSSHConfig(path, home string) (*sshConfig, error) {
	l := &configLoader{home: home}
	blocks, err := l.loadFile(path, nil, 0)
	if err != nil {
		return nil, err
	}
	return &sshConfig{blocks: blocks, unsupported: l.unsupported}, nil
}

// loadFile compiles one file; outer are the conditions of the block that
// included it.
func (l *configLoader) loadFile(path string, outer []blockCond, depth int) ([]configBlock, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ssh_config: %w", err)
	}
	src, matches, includes, commands, err := l.preprocess(path, data)
	if err != nil {
		return nil, err
	}
	cfg, err := sshconfig.DecodeBytes(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var blocks []configBlock
	for i, h := range cfg.Hosts {
		conds := outer
		if i > 0 { // Hosts[0] is the implicit block before the first Host line
			cond, err := blockCondition(h, matches)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			conds = append(conds[:len(conds):len(conds)], cond)
		}
		cur := configBlock{conds: conds}
		for _, node := range h.Nodes {
			kv, ok := node.(*sshconfig.KV)
			if !ok {
				continue
			}
			pos := fmt.Sprintf("%s:%d", path, kv.Pos().Line)
			if kv.Key != includePlaceholder {
				e := newEntry(kv, pos)
				if cmd, ok := commands[kv.Pos().Line]; ok {
					e.value, e.multi = cmd, false
				}
				l.entries++
				e.order = l.entries
				cur.entries = append(cur.entries, e)
				continue
			}
			if len(cur.entries) > 0 {
				blocks = append(blocks, cur)
			}
			inc, err := l.loadIncludes(includes[kv.Value], conds, depth+1, pos)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, inc...)
			cur = configBlock{conds: conds}
		}
		if len(cur.entries) > 0 {
			blocks = append(blocks, cur)
		}
	}
	return blocks, nil
}

// newEntry converts a library key/value into an entry.
func newEntry(kv *sshconfig.KV, pos string) configEntry {
	// The library strips the quotes around a value that is quoted as a
	// whole; such a value is one argument even if it holds spaces.
	quotedWhole := strings.Contains(kv.String(), `"`+kv.Value+`"`)
	return configEntry{
		key:   strings.ToLower(kv.Key),
		value: kv.Value,
		multi: !quotedWhole,
		pos:   pos,
	}
}

// blockCondition converts a Host line (or a Match placeholder) to a condition.
func blockCondition(h *sshconfig.Host, matches map[string]matchCond) (blockCond, error) {
	var patterns []string
	for _, p := range h.Patterns {
		patterns = append(patterns, strings.Fields(p.String())...)
	}
	if len(patterns) == 1 && strings.HasPrefix(patterns[0], matchPlaceholder) {
		if m, ok := matches[patterns[0]]; ok {
			return m, nil
		}
	}
	if len(patterns) == 0 {
		return nil, errors.New("Host line without patterns")
	}
	return hostCond{patterns: compilePatterns(patterns, true)}, nil
}

// loadIncludes compiles the files an Include line names.
func (l *configLoader) loadIncludes(args []string, conds []blockCond, depth int, pos string) ([]configBlock, error) {
	if depth > maxIncludeDepth {
		return nil, fmt.Errorf("%s: Include nested more than %d levels (a loop?)", pos, maxIncludeDepth)
	}
	var blocks []configBlock
	for _, arg := range args {
		pattern := l.includePath(arg)
		files, err := filepath.Glob(pattern)
		if err != nil {
			return nil, fmt.Errorf("%s: Include %q: %w", pos, arg, err)
		}
		for _, f := range files {
			if st, err := os.Stat(f); err == nil && st.IsDir() {
				continue
			}
			inc, err := l.loadFile(f, conds, depth)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, inc...)
		}
	}
	return blocks, nil
}

// includePath resolves an Include argument like OpenSSH does for a user
// configuration: ~ is the home directory, relative paths are under ~/.ssh.
func (l *configLoader) includePath(arg string) string {
	switch {
	case arg == "~":
		return l.home
	case strings.HasPrefix(arg, "~/"):
		return filepath.Join(l.home, arg[2:])
	case filepath.IsAbs(arg):
		return arg
	}
	return filepath.Join(l.home, ".ssh", arg)
}

// preprocess checks every line (see checkLine) and replaces Match and
// Include lines with placeholders the library accepts, returning what they
// stood for, and the verbatim commands of command keywords (ProxyCommand)
// by line number. Errors name path:line.
func (l *configLoader) preprocess(path string, data []byte) ([]byte, map[string]matchCond, map[string][]string, map[int]string, error) {
	lines := bytes.Split(data, []byte("\n"))
	matches := map[string]matchCond{}
	includes := map[string][]string{}
	commands := map[int]string{}
	for i, line := range lines {
		fail := func(err error) ([]byte, map[string]matchCond, map[string][]string, map[int]string, error) {
			return nil, nil, nil, nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		// Trailing white space (a CR, a form feed) is not part of the
		// line, as in OpenSSH.
		keyword, rest, err := splitKeyword(strings.TrimRight(string(line), " \t\r\n\f"))
		if err != nil {
			return fail(err)
		}
		if keyword == "" {
			continue
		}
		if quoted := strings.HasPrefix(strings.TrimLeft(string(line), " \t"), `"`); quoted {
			// The library does not unquote keywords: give it the keyword
			// as OpenSSH reads it.
			lines[i] = []byte(keyword + " " + rest)
		}
		key, args, err := checkLine(keyword, rest, l.ignoreUnknown)
		if err != nil {
			return fail(err)
		}
		switch key {
		case "match":
			cond, err := l.parseMatch(rest)
			if err != nil {
				return fail(err)
			}
			name := matchPlaceholder + strconv.Itoa(i+1)
			matches[name] = cond
			lines[i] = []byte("Host " + name)
		case "include":
			id := strconv.Itoa(i + 1)
			includes[id] = args
			lines[i] = []byte(includePlaceholder + " " + id)
		case "ignoreunknown":
			if l.ignoreUnknown == nil {
				l.ignoreUnknown = compilePatterns(strings.Split(args[0], ","), true)
			}
		default:
			if keywords[key].args == restArgs {
				commands[i+1] = rest
			}
		}
	}
	return bytes.Join(lines, []byte("\n")), matches, includes, commands, nil
}

// splitKeyword splits a configuration line into its keyword and the rest
// (which still holds any trailing comment). The keyword may be double
// quoted, as OpenSSH allows.
func splitKeyword(line string) (keyword, rest string, err error) {
	line = strings.TrimLeft(line, " \t")
	if line == "" || line[0] == '#' {
		return "", "", nil
	}
	if line[0] == '"' {
		close := strings.IndexByte(line[1:], '"')
		if close < 0 {
			return "", "", errors.New("invalid quotes: unterminated quote")
		}
		keyword = line[1 : close+1]
		if keyword == "" {
			return "", "", errors.New("empty keyword")
		}
		// As in OpenSSH, no = separates a quoted keyword from its value.
		return keyword, strings.TrimSpace(line[close+2:]), nil
	}
	end := strings.IndexAny(line, " \t=")
	if end < 0 {
		return line, "", nil
	}
	keyword = line[:end]
	rest = strings.TrimLeft(line[end:], " \t")
	rest = strings.TrimPrefix(rest, "=")
	return keyword, strings.TrimSpace(rest), nil
}

// parseMatch parses the criteria of a Match line.
func (l *configLoader) parseMatch(rest string) (matchCond, error) {
	args, err := splitArgs(rest)
	if err != nil {
		return matchCond{}, err
	}
	if len(args) == 0 {
		return matchCond{}, errors.New("Match needs at least one criterion (e.g. Match host NAME)")
	}
	var cond matchCond
	for i := 0; i < len(args); i++ {
		cr := criterion{kind: strings.ToLower(args[i])}
		if strings.HasPrefix(cr.kind, "!") {
			cr.negate, cr.kind = true, cr.kind[1:]
		}
		switch cr.kind {
		case "all":
			if i+1 < len(args) {
				return matchCond{}, errors.New("Match all cannot be combined with other criteria after it")
			}
		case "final", "canonical":
		case "host", "originalhost", "user", "localuser":
			if i+1 >= len(args) {
				return matchCond{}, fmt.Errorf("Match %s needs a pattern list", cr.kind)
			}
			i++
			fold := cr.kind == "host" || cr.kind == "originalhost"
			cr.patterns = compilePatterns(strings.Split(args[i], ","), fold)
		case "exec", "localnetwork", "tagged", "version", "sessiontype", "command":
			// OpenSSH's other criteria take one argument and never match here.
			if i+1 >= len(args) {
				return matchCond{}, fmt.Errorf("Match %s needs an argument", cr.kind)
			}
			l.unsupported = append(l.unsupported, "Match "+cr.kind)
			cr.kind = "unsupported"
			cr.negate = false
			i++
		default:
			return matchCond{}, fmt.Errorf("Match: unknown criterion %q (OpenSSH's are all, canonical, final, host, "+
				"originalhost, user, localuser, exec, localnetwork, tagged, version, sessiontype, command)", args[i])
		}
		cond.criteria = append(cond.criteria, cr)
	}
	return cond, nil
}

// splitArgs splits a value into arguments as OpenSSH does: whitespace
// separated, double or single quotes group, # starts a comment.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
				continue
			}
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, inArg = c, true
		case c == ' ' || c == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		case c == '#' && !inArg:
			return args, nil
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}

// wildcardMatch matches s against a pattern where * matches any run of
// characters and ? exactly one.
func wildcardMatch(p, s string) bool {
	// Iterative matcher with single-star backtracking: linear for typical
	// patterns, never exponential.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// tokens are the values % sequences expand to in paths (IdentityFile,
// CertificateFile, UserKnownHostsFile, IdentityAgent).
type tokens struct {
	home, host, original, port, remoteUser, localUser string
}

// expandPath expands ~ and the tokens %% %d %h %n %p %r %u in a path.
func expandPath(p string, t tokens) string {
	if strings.Contains(p, "%") {
		p = strings.NewReplacer(
			"%%", "%", "%d", t.home, "%h", t.host, "%n", t.original,
			"%p", t.port, "%r", t.remoteUser, "%u", t.localUser,
		).Replace(p)
	}
	switch {
	case p == "~":
		return t.home
	case strings.HasPrefix(p, "~/"):
		return filepath.Join(t.home, p[2:])
	}
	return p
}
