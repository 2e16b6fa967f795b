package module

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"
)

// wait_for runs FROM THE HOST, as Ansible's does: a POSIX sh loop on the
// host tests the path or port (with bash's /dev/tcp, else nc) every
// `sleep` seconds until the state holds or the timeout ends. With a
// search_regex, the host loop returns the file's content whenever it
// changes (or what the port sent) and the controller matches it.

func waitForModule() *Module {
	return &Module{Name: "wait_for", Collection: "ansible.builtin", Check: CheckNone, Run: runWaitFor,
		Params: []Param{
			{Name: "host", Type: Str, Default: "127.0.0.1"},
			{Name: "timeout", Type: Int, Default: 300},
			{Name: "connect_timeout", Type: Int, Default: 5},
			{Name: "delay", Type: Int, Default: 0},
			{Name: "port", Type: Int},
			{Name: "active_connection_states", Type: List, Elements: Str,
				Default: []any{"ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "SYN_RECV", "SYN_SENT", "TIME_WAIT"}},
			{Name: "path", Type: Path},
			{Name: "search_regex", Type: Str},
			{Name: "state", Type: Str, Default: "started", Choices: []string{"absent", "drained", "present", "started", "stopped"}},
			{Name: "exclude_hosts", Type: List, Elements: Str},
			{Name: "sleep", Type: Int, Default: 1},
			{Name: "msg", Type: Str},
		}}
}

// tcpStates are the /proc/net/tcp codes of the connection states.
var tcpStates = map[string]string{
	"ESTABLISHED": "01", "SYN_SENT": "02", "SYN_RECV": "03", "FIN_WAIT1": "04", "FIN_WAIT2": "05",
	"TIME_WAIT": "06", "CLOSE": "07", "CLOSE_WAIT": "08", "LAST_ACK": "09", "LISTEN": "0A", "CLOSING": "0B",
}

// waitSpec is one wait_for task after validation.
type waitSpec struct {
	host                             string
	port                             int
	path, state, regex, msg          string
	timeout, connTimeout, delay, nap int
	re                               *regexp.Regexp
}

func runWaitFor(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	w, states, msg := newWaitSpec(a)
	if msg != "" {
		return waitFailed(msg, 0), nil
	}
	start := time.Now()
	var groups []any
	groupdict := map[string]any{}
	var report string
	var err error
	if w.re != nil && (w.state == "started" || w.state == "present") && (w.path != "" || w.port != 0) {
		report, groups, groupdict, err = w.search(ctx, c.Host, start.Add(time.Duration(w.timeout)*time.Second))
	} else {
		probe, perr := w.probe(states, a.Strings("exclude_hosts"))
		if perr != nil {
			return waitFailed(perr.Error(), 0), nil
		}
		report, err = w.loop(ctx, c.Host, probe)
	}
	if err != nil {
		return nil, err
	}
	elapsed := int(time.Since(start).Seconds())
	switch report {
	case "ok":
	case "notool":
		return Failed("wait_for tests a port from the host %s with bash (/dev/tcp) or nc, and it has neither", c.Host.Name()), nil
	case "timeout":
		return waitFailed(w.timeoutMsg(), elapsed), nil
	default:
		return waitFailed(report, elapsed), nil
	}
	if groups == nil {
		groups = []any{}
	}
	r := Result{"changed": false, "state": w.state, "port": nil, "search_regex": nil, "path": nil,
		"match_groups": groups, "match_groupdict": groupdict, "elapsed": elapsed}
	if a.Has("port") {
		r["port"] = w.port
	}
	if a.Has("search_regex") {
		r["search_regex"] = w.regex
	}
	if a.Has("path") {
		r["path"] = w.path
		if err := addPathInfo(ctx, c.Host, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func waitFailed(msg string, elapsed int) Result {
	return Result{"failed": true, "changed": false, "msg": msg, "elapsed": elapsed}
}

// newWaitSpec validates the arguments as Ansible does; msg is the
// failure; states are the /proc/net/tcp codes of active_connection_states.
func newWaitSpec(a Args) (w *waitSpec, states []string, msg string) {
	w = &waitSpec{host: a.Str("host"), port: a.Int("port"), path: a.Str("path"), state: a.Str("state"),
		regex: a.Str("search_regex"), msg: a.Str("msg"), timeout: a.Int("timeout"), connTimeout: a.Int("connect_timeout"),
		delay: a.Int("delay"), nap: a.Int("sleep")}
	if a.Has("search_regex") {
		re, err := regexp.Compile("(?m)" + w.regex)
		if err != nil {
			return nil, nil, fmt.Sprintf("Invalid regular expression: %v (remotectl matches with Go's RE2: no look-around nor back-references)", err)
		}
		w.re = re
	}
	switch {
	case w.port != 0 && w.path != "":
		return nil, nil, "port and path parameter can not both be passed to wait_for"
	case w.path != "" && w.state == "stopped":
		return nil, nil, "state=stopped should only be used for checking a port in the wait_for module"
	case w.path != "" && w.state == "drained":
		return nil, nil, "state=drained should only be used for checking a port in the wait_for module"
	case a.Has("exclude_hosts") && w.state != "drained":
		return nil, nil, "exclude_hosts should only be with state=drained"
	}
	for _, s := range a.Strings("active_connection_states") {
		code, ok := tcpStates[s]
		if !ok {
			return nil, nil, fmt.Sprintf("unknown active_connection_state (%s) defined", s)
		}
		states = append(states, code)
	}
	return w, states, ""
}

// timeoutMsg is Ansible's message when the wait times out.
func (w *waitSpec) timeoutMsg() string {
	if w.msg != "" {
		return w.msg
	}
	hp := fmt.Sprintf("%s:%d", w.host, w.port)
	switch {
	case w.state == "drained":
		return "Timeout when waiting for " + hp + " to drain"
	case w.state == "absent" || w.state == "stopped":
		if w.port != 0 {
			return "Timeout when waiting for " + hp + " to stop."
		}
		return "Timeout when waiting for " + w.path + " to be absent."
	case w.port != 0 && w.regex != "":
		return fmt.Sprintf("Timeout when waiting for search string %s in %s", w.regex, hp)
	case w.port != 0:
		return "Timeout when waiting for " + hp
	case w.regex != "":
		return fmt.Sprintf("Timeout when waiting for search string %s in %s", w.regex, w.path)
	}
	return "Timeout when waiting for file " + w.path
}

// shConnect defines _rctl_conn HOST PORT SECONDS: whether a TCP
// connection can be made, with bash's /dev/tcp (bounded by timeout when
// the host has it) or nc -z.
const shConnect = `_rctl_conn() {
	if command -v bash >/dev/null 2>&1; then
		if command -v timeout >/dev/null 2>&1; then
			timeout "$3" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" </dev/null >/dev/null 2>&1
		else
			bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" </dev/null >/dev/null 2>&1
		fi
		return
	fi
	nc -z -w "$3" "$1" "$2" </dev/null >/dev/null 2>&1
}
_rctl_tool() { command -v bash >/dev/null 2>&1 || command -v nc >/dev/null 2>&1; }
`

// probe is the sh condition that ends the wait.
func (w *waitSpec) probe(states, exclude []string) (string, error) {
	conn := fmt.Sprintf("_rctl_conn %s %d %d", Quote(w.host), w.port, max(w.connTimeout, 1))
	switch {
	case w.state == "drained":
		return w.drained(states, exclude)
	case w.port == 0 && w.path == "":
		return "", nil // sleeps the whole timeout, as Ansible does
	case w.path != "" && (w.state == "absent"):
		return `! [ -e "$_rctl_path" ]`, nil
	case w.path != "":
		return `[ -e "$_rctl_path" ]`, nil
	case w.state == "absent" || w.state == "stopped":
		return "! " + conn, nil
	}
	return conn, nil
}

// drained is the sh condition "no active connection to the port": the
// lines of /proc/net/tcp and tcp6 whose local port is the port, whose
// state is active and whose remote address is not excluded.
func (w *waitSpec) drained(states, exclude []string) (string, error) {
	if w.port == 0 {
		return "", fmt.Errorf("state=drained needs a port")
	}
	var ex []string
	for _, h := range exclude {
		ip := net.ParseIP(h)
		if ip == nil {
			return "", fmt.Errorf("exclude_hosts: %q is not an IP address (remotectl does not resolve names on the host)", h)
		}
		ex = append(ex, procHex(ip)...)
	}
	local := []string{"00000000", "00000000000000000000000000000000", "0000000000000000FFFF000000000000"}
	if ip := net.ParseIP(w.host); ip != nil {
		local = append(local, procHex(ip)...)
	} else if w.host != "" {
		return "", fmt.Errorf("host: %q is not an IP address (state=drained compares it with /proc/net/tcp)", w.host)
	}
	awk := fmt.Sprintf(`NR > 1 { split($2, l, ":"); split($3, r, ":"); if (l[2] == %q && (%s) && !(%s) && (%s)) n++ } END { exit n > 0 }`,
		fmt.Sprintf("%04X", w.port), awkAny("$4", states), awkAny("r[1]", ex), awkAny("l[1]", local))
	return fmt.Sprintf("awk %s /proc/net/tcp /proc/net/tcp6 2>/dev/null", Quote(awk)), nil
}

// awkAny is an awk condition: v equals one of vals.
func awkAny(v string, vals []string) string {
	if len(vals) == 0 {
		return "0"
	}
	var c []string
	for _, s := range vals {
		c = append(c, fmt.Sprintf("%s == %q", v, s))
	}
	return strings.Join(c, " || ")
}

// procHex renders an IP as /proc/net/tcp does (little-endian 32-bit
// words), an IPv4 also as its IPv4-mapped IPv6 form.
func procHex(ip net.IP) []string {
	words := func(b []byte) string {
		var s strings.Builder
		for i := 0; i < len(b); i += 4 {
			var w [4]byte
			binary.LittleEndian.PutUint32(w[:], binary.BigEndian.Uint32(b[i:i+4]))
			s.WriteString(strings.ToUpper(hex.EncodeToString(w[:])))
		}
		return s.String()
	}
	if v4 := ip.To4(); v4 != nil {
		return []string{words(v4), words(v4.To16())}
	}
	return []string{words(ip.To16())}
}

// loop runs the wait on the host: delay, then the probe every sleep
// seconds until it holds or the timeout ends.
func (w *waitSpec) loop(ctx context.Context, h Host, probe string) (string, error) {
	token := "rctl" + RandomSuffix()
	var b strings.Builder
	b.WriteString(shPrelude + shConnect)
	fmt.Fprintf(&b, "_rctl_end=$(( $(date +%%s) + %d ))\nsleep %d\n", w.timeout, w.delay)
	if w.port != 0 && w.state != "drained" {
		fmt.Fprintf(&b, "_rctl_tool || { echo '%s notool'; exit 0; }\n", token)
	}
	if w.path != "" {
		b.WriteString(shExpand("_rctl_path", w.path))
	}
	if probe == "" {
		fmt.Fprintf(&b, "sleep %d\necho '%s ok'\n", w.timeout, token)
	} else {
		fmt.Fprintf(&b, `while [ "$(date +%%s)" -lt "$_rctl_end" ]; do
	if %s; then echo '%s ok'; exit 0; fi
	sleep %d
done
echo '%s timeout'
`, probe, token, w.nap, token)
	}
	out, err := h.Run(ctx, Command{Script: b.String()})
	if err != nil {
		return "", err
	}
	return waitReport(token, out), nil
}

func waitReport(token string, out Output) string {
	i := strings.Index(out.Stdout, token+" ")
	if i < 0 {
		return fmt.Sprintf("wait_for: the host did not report (rc %d): %s", out.RC, strings.TrimSpace(out.Stderr))
	}
	line, _, _ := strings.Cut(out.Stdout[i+len(token)+1:], "\n")
	return line
}

// search waits for search_regex in the file (whenever it changes, the
// host returns its content) or in what the port sends.
func (w *waitSpec) search(ctx context.Context, h Host, deadline time.Time) (string, []any, map[string]any, error) {
	token := "rctl" + RandomSuffix()
	sig := "-"
	first := true
	for {
		left := int(time.Until(deadline).Seconds() + 0.999)
		if left <= 0 {
			return "timeout", nil, nil, nil
		}
		var b strings.Builder
		b.WriteString(shPrelude + shConnect)
		fmt.Fprintf(&b, "_rctl_end=$(( $(date +%%s) + %d ))\n", left)
		if first {
			fmt.Fprintf(&b, "sleep %d\n", w.delay)
		}
		if w.path != "" {
			b.WriteString(shExpand("_rctl_path", w.path))
			fmt.Fprintf(&b, `while [ "$(date +%%s)" -lt "$_rctl_end" ]; do
	if [ -e "$_rctl_path" ]; then
		_rctl_sig=$(stat -L -c '%%s.%%Y.%%Z.%%i' -- "$_rctl_path" 2>/dev/null)
		if [ "$_rctl_sig" != %s ]; then echo "%s data $_rctl_sig"; head -c %d -- "$_rctl_path"; exit 0; fi
	fi
	sleep %d
done
echo '%s timeout'
`, Quote(sig), token, MaxCaptured-4096, w.nap, token)
		} else {
			read := max(min(left, w.nap+1), 1)
			fmt.Fprintf(&b, `_rctl_tool || { echo '%s notool'; exit 0; }
while [ "$(date +%%s)" -lt "$_rctl_end" ]; do
	if _rctl_conn %s %d %d; then
		echo '%s data -'
		if command -v bash >/dev/null 2>&1; then
			timeout %d bash -c 'exec 3<>"/dev/tcp/$1/$2"; cat <&3' _ %s %d 2>/dev/null
		else
			timeout %d nc %s %d </dev/null 2>/dev/null
		fi
		exit 0
	fi
	sleep %d
done
echo '%s timeout'
`, token, Quote(w.host), w.port, max(w.connTimeout, 1), token, read, Quote(w.host), w.port, read, Quote(w.host), w.port, w.nap, token)
		}
		first = false
		out, err := h.Run(ctx, Command{Script: b.String()})
		if err != nil {
			return "", nil, nil, err
		}
		i := strings.Index(out.Stdout, token+" ")
		if i < 0 {
			return waitReport(token, out), nil, nil, nil
		}
		line, data, _ := strings.Cut(out.Stdout[i+len(token)+1:], "\n")
		kind, s, _ := strings.Cut(line, " ")
		if kind != "data" {
			return kind, nil, nil, nil
		}
		if m := w.re.FindStringSubmatchIndex(data); m != nil {
			groups, dict := matchGroups(w.re, data, m)
			return "ok", groups, dict, nil
		}
		if w.path != "" {
			sig = s
		} else if time.Until(deadline) > 0 {
			select {
			case <-ctx.Done():
				return "", nil, nil, ctx.Err()
			case <-time.After(time.Duration(w.nap) * time.Second):
			}
		}
	}
}

// matchGroups are Python's match.groups() (None for a group that did not
// take part) and groupdict().
func matchGroups(re *regexp.Regexp, s string, m []int) ([]any, map[string]any) {
	groups := []any{}
	dict := map[string]any{}
	for g := 1; g < len(m)/2; g++ {
		var v any
		if m[2*g] >= 0 {
			v = s[m[2*g]:m[2*g+1]]
		}
		groups = append(groups, v)
		if name := re.SubexpNames()[g]; name != "" {
			dict[name] = v
		}
	}
	return groups, dict
}
