package module

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// An HTTP request made FROM the host with its curl, as Ansible's uri and
// get_url make it with Python's urllib on the host. The request's options
// (URL, headers, credentials) reach curl as a config file written from
// stdin into a private temporary directory: nothing secret is on a
// command line.

// httpReq is one request.
type httpReq struct {
	url, method     string
	headers         [][2]string
	body            []byte
	hasBody         bool
	bodyFile        string // a file on the host to send (uri src)
	user, pass      string
	hasUser         bool
	forceBasic      bool
	follow          bool
	validateCerts   bool
	timeout         int
	agent           string
	decompress      bool
	noProxy         bool
	caPath          string
	ifModifiedSince int64  // unix seconds; 0 means none
	output          string // keep the body in this file on the host instead of printing it
	maxPrintedBody  int
}

// httpResp is what curl reported.
type httpResp struct {
	noCurl    bool
	wget      bool // wget answered (its log is in curlErr until fromWget)
	curlRC    int
	curlErr   string
	status    int
	reason    string
	finalURL  string
	headers   map[string]string // the final response's, names lower-cased, repeats joined with ", "
	cookies   [][2]string       // name, value from every response's Set-Cookie
	body      []byte
	outputSum string // sha1 of the output file, when output is set
	outputLen int64
}

// cfgQuote quotes s for a curl config file.
func cfgQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// config is the curl config of the request; dir is the host's temporary
// directory of the script.
func (q *httpReq) config(dir string) string {
	var b strings.Builder
	opt := func(name, val string) { fmt.Fprintf(&b, "%s = %s\n", name, cfgQuote(val)) }
	flag := func(name string) { fmt.Fprintf(&b, "%s\n", name) }
	opt("url", q.url)
	flag("silent")
	flag("show-error")
	flag("http1.1")
	flag("globoff")
	if q.method == "HEAD" {
		flag("head")
	} else {
		opt("request", q.method)
	}
	opt("user-agent", q.agent)
	for _, h := range q.headers {
		opt("header", h[0]+": "+h[1])
	}
	if q.ifModifiedSince != 0 {
		opt("header", "If-Modified-Since: "+timeHTTP(q.ifModifiedSince))
	}
	if q.hasUser {
		opt("user", q.user+":"+q.pass)
		if q.forceBasic {
			flag("basic")
		} else {
			flag("anyauth")
		}
	}
	if !q.validateCerts {
		flag("insecure")
	}
	if q.caPath != "" {
		opt("cacert", q.caPath)
	}
	if q.noProxy {
		opt("noproxy", "*")
	}
	if q.follow {
		flag("location")
		opt("max-redirs", "10")
	}
	if q.decompress {
		flag("compressed")
	}
	if q.timeout > 0 {
		opt("connect-timeout", strconv.Itoa(q.timeout))
		opt("speed-time", strconv.Itoa(q.timeout))
		opt("speed-limit", "1")
	}
	if q.hasBody {
		opt("data-binary", "@"+dir+"/in")
	}
	opt("dump-header", dir+"/h")
	out := dir + "/b"
	switch {
	case q.method == "HEAD" && q.output != "":
		out = "/dev/null" // curl would write the headers there; the script makes output empty
	case q.output != "":
		out = q.output
	}
	opt("output", out)
	opt("write-out", "%{http_code} %{url_effective}")
	return b.String()
}

// wgetConfig is the same request for GNU wget (a wgetrc), used when the
// host has no curl.
func (q *httpReq) wgetConfig(dir string) string {
	var b strings.Builder
	opt := func(name, val string) {
		fmt.Fprintf(&b, "%s = %s\n", name, strings.NewReplacer("\n", " ", "\r", " ").Replace(val))
	}
	opt("tries", "1")
	opt("verbose", "off")
	opt("server_response", "on")
	opt("content_on_error", "on")
	opt("input", dir+"/url")
	opt("method", q.method)
	opt("user_agent", q.agent)
	for _, h := range q.headers {
		opt("header", h[0]+": "+h[1])
	}
	if q.ifModifiedSince != 0 {
		opt("header", "If-Modified-Since: "+timeHTTP(q.ifModifiedSince))
	}
	if q.hasUser {
		opt("http_user", q.user)
		opt("http_password", q.pass)
		if q.forceBasic {
			opt("auth_no_challenge", "on")
		}
	}
	if !q.validateCerts {
		opt("check_certificate", "off")
	}
	if q.caPath != "" {
		opt("ca_certificate", q.caPath)
	}
	if q.noProxy {
		opt("use_proxy", "off")
	}
	if q.follow {
		opt("max_redirect", "10")
	} else {
		opt("max_redirect", "0")
	}
	if q.timeout > 0 {
		opt("timeout", strconv.Itoa(q.timeout))
	}
	if q.hasBody {
		opt("body_file", dir+"/in")
	}
	out := dir + "/b"
	if q.output != "" {
		out = q.output
	}
	opt("output_document", out)
	return b.String()
}

// script is the host script: it picks curl, else GNU wget, and reads its
// config, the URL (for wget) and the body from stdin. __DIR__ in the
// configs is replaced by the script's temporary directory, which it
// removes when it ends.
func (q *httpReq) script(token string, curlLen, wgetLen, urlLen int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `if command -v curl >/dev/null 2>&1; then _rctl_tool=curl
elif wget --version 2>/dev/null | grep -q 'GNU Wget'; then _rctl_tool=wget
else echo '%s nocurl'; exit 0; fi
_rctl_d=$(mktemp -d) || exit 1
trap 'rm -rf "$_rctl_d"' EXIT
dd bs=1 count=%d 2>/dev/null | sed "s|__DIR__|$_rctl_d|g" > "$_rctl_d/cfg"
dd bs=1 count=%d 2>/dev/null | sed "s|__DIR__|$_rctl_d|g" > "$_rctl_d/wcfg"
dd bs=1 count=%d 2>/dev/null > "$_rctl_d/url"
`, token, curlLen, wgetLen, urlLen)
	if q.hasBody {
		b.WriteString("cat > \"$_rctl_d/in\"\n")
	}
	if q.method == "HEAD" && q.output != "" {
		fmt.Fprintf(&b, ": > %s || exit 1\n", Quote(q.output))
	}
	fmt.Fprintf(&b, `if [ $_rctl_tool = curl ]; then
	curl -K "$_rctl_d/cfg" > "$_rctl_d/w" 2> "$_rctl_d/e"; _rctl_rc=$?
else
	wget --config="$_rctl_d/wcfg" -o "$_rctl_d/h" > "$_rctl_d/w" 2> "$_rctl_d/e"; _rctl_rc="$? wget"
fi
echo "%s $_rctl_rc"
for _rctl_f in w e h; do [ -f "$_rctl_d/$_rctl_f" ] || : > "$_rctl_d/$_rctl_f"; wc -c < "$_rctl_d/$_rctl_f"; cat "$_rctl_d/$_rctl_f"; done
`, token)
	if q.output == "" {
		fmt.Fprintf(&b, "[ -f \"$_rctl_d/b\" ] || : > \"$_rctl_d/b\"; head -c %d \"$_rctl_d/b\" > \"$_rctl_d/b2\"; wc -c < \"$_rctl_d/b2\"; cat \"$_rctl_d/b2\"\n", q.maxPrintedBody)
	} else {
		fmt.Fprintf(&b, "if [ -f %s ]; then wc -c < %s; sha1sum < %s; else echo -1; echo -; fi\n",
			Quote(q.output), Quote(q.output), Quote(q.output))
	}
	return b.String()
}

// do makes the request from the host.
func (q *httpReq) do(ctx context.Context, h Host) (*httpResp, error) {
	token := "rctl" + RandomSuffix()
	cfg, wcfg, u := q.config("__DIR__"), q.wgetConfig("__DIR__"), q.url+"\n"
	stdin := append([]byte(cfg+wcfg+u), q.body...)
	if q.maxPrintedBody == 0 {
		q.maxPrintedBody = MaxCaptured - 64<<10
	}
	out, err := h.Run(ctx, Command{Script: q.script(token, len(cfg), len(wcfg), len(u)), Stdin: stdin})
	if err != nil {
		return nil, err
	}
	r, err := parseCurl(token, q.output != "", out)
	if err == nil && r.wget {
		r.fromWget(q.url)
	}
	return r, err
}

// fromWget turns what wget logged (-S: the responses' headers, indented)
// into what curl reports: header blocks, status, final URL, and an error
// as curl's exit codes for the messages of fetch_url.
func (r *httpResp) fromWget(reqURL string) {
	var dump, errs strings.Builder
	final := reqURL
	for _, l := range strings.Split(r.curlErr, "\n") {
		l = strings.TrimRight(l, "\r")
		switch {
		case strings.HasPrefix(l, "  HTTP/"):
			if dump.Len() > 0 {
				dump.WriteString("\r\n")
			}
			dump.WriteString(strings.TrimPrefix(l, "  ") + "\r\n")
		case strings.HasPrefix(l, "  ") && dump.Len() > 0:
			dump.WriteString(strings.TrimPrefix(l, "  ") + "\r\n")
		default:
			errs.WriteString(l + "\n")
		}
	}
	blocks := strings.Split(dump.String(), "\r\n\r\n")
	for _, blk := range blocks[:len(blocks)-1] {
		for _, l := range strings.Split(blk, "\r\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "location") {
				if base, err := url.Parse(final); err == nil {
					if ref, err := url.Parse(strings.TrimSpace(v)); err == nil {
						final = base.ResolveReference(ref).String()
					}
				}
			}
		}
	}
	r.status = 0
	r.parseHeaders(dump.String())
	r.finalURL = final
	msg := strings.TrimSpace(errs.String())
	r.curlErr = "curl: (0) " + msg
	if r.status == 0 {
		switch {
		case strings.Contains(msg, "Connection refused"):
			r.curlRC = 7
		case strings.Contains(msg, "timed out"):
			r.curlRC = 28
		case strings.Contains(msg, "unable to resolve"):
			r.curlRC = 6
		case r.curlRC == 0:
			r.curlRC = 1
		}
	}
}

// parseCurl reads the script's report: the token line with curl's exit
// code, then write-out, stderr, headers and body (or the output's size
// and sha1), each after its length.
func parseCurl(token string, hasOutput bool, out Output) (*httpResp, error) {
	s := out.Stdout
	i := strings.Index(s, token+" ")
	if i < 0 {
		return nil, fmt.Errorf("the HTTP request on the host did not report (rc %d): %s", out.RC, strings.TrimSpace(out.Stderr))
	}
	line, rest, _ := strings.Cut(s[i+len(token)+1:], "\n")
	r := &httpResp{headers: map[string]string{}}
	switch {
	case line == "nocurl":
		r.noCurl = true
		return r, nil
	}
	line, r.wget = strings.CutSuffix(line, " wget")
	rc, err := strconv.Atoi(line)
	if err != nil {
		return nil, fmt.Errorf("the HTTP request on the host reported %q", line)
	}
	r.curlRC = rc
	sections := 3
	if !hasOutput {
		sections = 4
	}
	var parts [4]string
	for k := 0; k < sections; k++ {
		nl, after, ok := strings.Cut(rest, "\n")
		n, err := strconv.Atoi(strings.TrimSpace(nl))
		if !ok || err != nil || n < 0 || n > len(after) {
			return nil, fmt.Errorf("the HTTP request on the host: unreadable report (rc %d): %s", out.RC, strings.TrimSpace(out.Stderr))
		}
		parts[k], rest = after[:n], after[n:]
	}
	r.curlErr = strings.TrimSpace(parts[1])
	code, final, _ := strings.Cut(parts[0], " ")
	r.status, _ = strconv.Atoi(code)
	r.finalURL = final
	if r.wget {
		r.curlErr = parts[2] // its log: fromWget reads it
	} else {
		r.parseHeaders(parts[2])
	}
	r.body = []byte(parts[3])
	if hasOutput { // output file: "size\nsha1  -\n"
		size, sum, _ := strings.Cut(rest, "\n")
		r.outputLen, _ = strconv.ParseInt(strings.TrimSpace(size), 10, 64)
		r.outputSum, _, _ = strings.Cut(strings.TrimSpace(sum), " ")
		if r.outputSum == "-" {
			r.outputSum = ""
		}
	}
	return r, nil
}

// timeHTTP renders unix seconds as an HTTP date.
func timeHTTP(sec int64) string { return time.Unix(sec, 0).UTC().Format(http.TimeFormat) }

// parseHeaders reads curl's header dump: one block per response
// (redirects, 100 Continue, 401 challenges); the last is the final one.
func (r *httpResp) parseHeaders(dump string) {
	blocks := strings.Split(strings.ReplaceAll(dump, "\r\n", "\n"), "\n\n")
	var last []string
	for _, blk := range blocks {
		lines := strings.Split(strings.TrimSpace(blk), "\n")
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "HTTP/") {
			continue
		}
		last = lines
		for _, l := range lines[1:] {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "set-cookie") {
				nv, _, _ := strings.Cut(strings.TrimSpace(v), ";")
				if n, val, ok := strings.Cut(nv, "="); ok {
					r.cookies = append(r.cookies, [2]string{strings.TrimSpace(n), strings.TrimSpace(val)})
				}
			}
		}
	}
	if last == nil {
		return
	}
	f := strings.SplitN(last[0], " ", 3)
	if len(f) == 3 {
		r.reason = strings.TrimSpace(f[2])
	}
	if len(f) >= 2 && r.status == 0 {
		r.status, _ = strconv.Atoi(f[1])
	}
	for _, l := range last[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if old, dup := r.headers[k]; dup {
			v = old + ", " + v
		}
		r.headers[k] = v
	}
	if r.reason == "" {
		r.reason = http.StatusText(r.status)
	}
}

// failMsg is the msg Python's fetch_url gives a request that got no HTTP
// response (status -1).
func (r *httpResp) failMsg() string {
	e := r.curlErr
	if _, after, ok := strings.Cut(e, ") "); ok && strings.HasPrefix(e, "curl: (") {
		e = after
	}
	switch r.curlRC {
	case 7: // curl no longer tells refused from unreachable; refused is the usual case
		return "Request failed: <urlopen error [Errno 111] Connection refused>"
	case 6:
		return "Request failed: <urlopen error [Errno -2] Name or service not known>"
	case 28:
		return "Connection failure: timed out"
	}
	return "Request failed: <urlopen error " + e + ">"
}

// info is Python's fetch_url info: the response's headers (lower-cased),
// url, status, msg and, for a 2xx response, the cookies.
func (r *httpResp) info(reqURL string) map[string]any {
	if r.curlRC != 0 && r.status == 0 {
		return map[string]any{"url": reqURL, "status": -1, "msg": r.failMsg()}
	}
	info := map[string]any{}
	for k, v := range r.headers {
		info[k] = v
	}
	info["status"] = r.status
	if r.status >= 200 && r.status < 300 {
		cookies := map[string]any{}
		var pairs []string
		for _, c := range r.cookies {
			cookies[c[0]] = c[1]
			pairs = append(pairs, c[0]+"="+c[1])
		}
		info["cookies"], info["cookies_string"] = cookies, strings.Join(pairs, "; ")
		cl := "unknown"
		if v, ok := r.headers["content-length"]; ok {
			cl = v
		}
		info["msg"], info["url"] = fmt.Sprintf("OK (%s bytes)", cl), r.finalURL
	} else {
		info["msg"], info["url"] = fmt.Sprintf("HTTP Error %d: %s", r.status, r.reason), reqURL
		if r.finalURL != "" {
			info["url"] = r.finalURL
		}
	}
	return info
}

// responseFilename is Ansible's get_response_filename: the
// Content-Disposition filename or the last part of the final URL's path.
func responseFilename(finalURL string, headers map[string]string) string {
	if cd, ok := headers["content-disposition"]; ok {
		for _, p := range strings.Split(cd, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "filename") {
				return strings.Trim(v, `"`)
			}
		}
	}
	u, err := url.Parse(finalURL)
	if err != nil {
		return ""
	}
	return path.Base("/" + strings.TrimRight(u.Path, "/"))
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
