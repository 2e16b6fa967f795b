package inventory

import (
	"regexp"
	"strings"
)

// PatternTerms splits a host pattern into its terms as Select reads it
// (Ansible's split_host_pattern), each with its "!" or "&" prefix.
func PatternTerms(pattern string) []string {
	terms := parsePattern(pattern)
	out := make([]string, len(terms))
	for i, t := range terms {
		switch t.op {
		case opExclude:
			out[i] = "!" + t.text
		case opIntersect:
			out[i] = "&" + t.text
		default:
			out[i] = t.text
		}
	}
	return out
}

// NameMatcher returns what a pattern term (without its prefix) matches a
// host or group name with, as Ansible's _match_list: a "~regex" from the
// start of the name, a shell glob, else the name itself.
func NameMatcher(term string) func(string) bool {
	if strings.HasPrefix(term, "~") {
		re, err := regexp.Compile("^(?:" + term[1:] + ")")
		if err != nil {
			return func(string) bool { return false }
		}
		return re.MatchString
	}
	m, err := globMatcher(term)
	if err != nil {
		return func(string) bool { return false }
	}
	return m
}
