package inventory

import "strings"

// CompletePattern returns the completions of a host pattern being typed:
// its last element (of a,b / a:&b / a:!b) completed with each host and
// group name it begins.
func (inv *Inventory) CompletePattern(toComplete string) []string {
	prefix, last := splitPatternTail(toComplete)
	var out []string
	for _, name := range inv.Names() {
		if strings.HasPrefix(name, last) {
			out = append(out, prefix+name)
		}
	}
	return out
}

// CompleteHost returns the names of the hosts that begin with prefix.
func (inv *Inventory) CompleteHost(prefix string) []string {
	var out []string
	for _, h := range inv.Hosts() {
		if strings.HasPrefix(h.Name, prefix) {
			out = append(out, h.Name)
		}
	}
	return out
}

// splitPatternTail splits "web,db:&pr" into "web,db:&" and "pr".
func splitPatternTail(s string) (prefix, last string) {
	i := strings.LastIndexAny(s, ",:")
	if i < 0 {
		return "", strings.TrimLeft(s, "!&")
	}
	prefix, last = s[:i+1], s[i+1:]
	for len(last) > 0 && (last[0] == '!' || last[0] == '&') {
		prefix, last = prefix+last[:1], last[1:]
	}
	return prefix, last
}
