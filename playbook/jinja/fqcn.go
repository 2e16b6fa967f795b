package jinja

import (
	"regexp"
	"slices"
	"strings"

	"github.com/nikolalohinski/gonja/v2/tokens"
)

// fqcnSep stands for the dots of a filter or test name of a collection
// remotectl does not implement, so that gonja parses it as one name and
// the check refuses it naming the collection.
const fqcnSep = "__fqcn__"

// rewriteFQCN reads a filter or test written with its collection, as
// Jinja2 under Ansible does (`x | ansible.builtin.to_json`,
// `y is ansible.builtin.version('2', '>')`): ansible.builtin's and
// ansible.legacy's become their short names; those of other collections
// (community.general.json_query), and names ansible.builtin does not hold
// (ansible.builtin.first), become one name that check refuses.
func rewriteFQCN(s string) string {
	if !strings.Contains(s, ".") || strings.Contains(s, "\r") {
		return s
	}
	toks := lex(s)
	var b strings.Builder
	last := 0
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].Type != tokens.Pipe && toks[i].Type != tokens.Is {
			continue
		}
		j := i + 1
		if toks[i].Type == tokens.Is && toks[j].Type == tokens.Not {
			j++
		}
		parts, end := dottedName(toks, j)
		if len(parts) < 3 {
			continue
		}
		b.WriteString(s[last:toks[j].Pos])
		coll, short := strings.Join(parts[:len(parts)-1], "."), parts[len(parts)-1]
		own := coreFilterNames
		if toks[i].Type == tokens.Is {
			own = coreTestNames
		}
		if (coll == "ansible.builtin" || coll == "ansible.legacy") && slices.Contains(own, short) {
			b.WriteString(short)
		} else {
			b.WriteString(strings.Join(parts, fqcnSep))
		}
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// dottedName reads name(.name)* from toks[j]: the names and the offset
// just after the last one.
func dottedName(toks []*tokens.Token, j int) ([]string, int) {
	var parts []string
	end := 0
	for k := j; k < len(toks) && toks[k].Type == tokens.Name; k += 2 {
		parts = append(parts, toks[k].Val)
		end = toks[k].Pos + len(toks[k].Val)
		if k+1 >= len(toks) || toks[k+1].Type != tokens.Dot {
			break
		}
	}
	return parts, end
}

// coreFilterNames and coreTestNames are ansible-core 2.14's own filter and
// test plugins, the names ansible.builtin holds (Jinja2's builtins, first
// or number, are not in it: Ansible cannot load ansible.builtin.first).
var coreFilterNames = []string{
	"b64decode", "b64encode", "basename", "bool", "checksum", "combinations", "combine", "comment",
	"dict2items", "difference", "dirname", "expanduser", "expandvars", "extract", "fileglob", "flatten",
	"from_json", "from_yaml", "from_yaml_all", "hash", "human_readable", "human_to_bytes", "intersect",
	"items2dict", "log", "mandatory", "md5", "password_hash", "path_join", "permutations", "pow", "product",
	"quote", "random", "realpath", "regex_escape", "regex_findall", "regex_replace", "regex_search",
	"rekey_on_member", "relpath", "root", "sha1", "shuffle", "split", "splitext", "strftime", "subelements",
	"symmetric_difference", "ternary", "to_datetime", "to_json", "to_nice_json", "to_nice_yaml", "to_uuid",
	"to_yaml", "type_debug", "union", "unique", "unvault", "urldecode", "urlsplit", "vault", "win_basename",
	"win_dirname", "win_splitdrive", "zip", "zip_longest",
}

var coreTestNames = []string{
	"abs", "all", "any", "change", "changed", "contains", "directory", "exists", "failed", "failure", "falsy",
	"file", "finished", "is_abs", "is_dir", "is_file", "is_link", "is_mount", "is_same_file", "isnan",
	"issubset", "issuperset", "link", "link_exists", "match", "mount", "nan", "reachable", "regex", "same_file",
	"search", "skip", "skipped", "started", "subset", "succeeded", "success", "successful", "superset",
	"truthy", "unreachable", "uri", "url", "urn", "vault_encrypted", "version", "version_compare",
}

// fqcnMessage names a filter or test of a collection remotectl does not
// implement, from the name rewriteFQCN gave it; ok is false for others.
func fqcnMessage(kind, name string) (string, bool) {
	if !strings.Contains(name, fqcnSep) {
		return "", false
	}
	parts := strings.Split(name, fqcnSep)
	short := parts[len(parts)-1]
	if coll := strings.Join(parts[:len(parts)-1], "."); coll == "ansible.builtin" || coll == "ansible.legacy" {
		return "Ansible cannot load the " + kind + " " + strings.Join(parts, ".") + ": " + short +
			" is not one of ansible-core's own (Jinja2's builtins have no collection); write it " + short, true
	}
	return "the " + kind + " " + strings.Join(parts, ".") + " is in " + strings.Join(parts[:len(parts)-1], ".") +
		", which remotectl does not implement", true
}

// lookupName is a lookup plugin's name as remotectl registers it:
// ansible.builtin.env and ansible.legacy.env are env.
func lookupName(name string) string {
	for _, prefix := range []string{"ansible.builtin.", "ansible.legacy."} {
		if short, ok := strings.CutPrefix(name, prefix); ok {
			return short
		}
	}
	return name
}

// reLookupCall finds the lookup and query calls whose plugin is named by a
// string literal.
var reLookupCall = regexp.MustCompile(`\b(?:lookup|query|q)\(\s*(?:'([\w.]+)'|"([\w.]+)")`)

// checkLookups refuses a lookup or query of a plugin remotectl does not
// have, before any connection (it failed only when the template ran).
func (e *Engine) checkLookups(orig, src string) error {
	if e.lookups == nil || !strings.Contains(src, "(") {
		return nil
	}
	for _, m := range reLookupCall.FindAllStringSubmatch(src, -1) {
		name := m[1] + m[2]
		if _, ok := e.lookups[lookupName(name)]; ok {
			continue
		}
		msg := unsupportedPrefix + "the lookup plugin '" + name + "'"
		if parts := strings.Split(name, "."); len(parts) >= 3 && lookupName(name) == name {
			msg = "the lookup " + name + " is in " + strings.Join(parts[:len(parts)-1], ".") + ", which remotectl does not implement"
		}
		return &Error{Kind: Unsupported, Template: orig, Msg: msg}
	}
	return nil
}
