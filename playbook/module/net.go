package module

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// netModules are the modules that talk to the network from the host:
// uri, get_url (with the host's curl) and wait_for.
func netModules() []*Module {
	return []*Module{
		{Name: "uri", Collection: "ansible.builtin", Check: CheckNone, Params: uriParams(), Run: runURI},
		{Name: "get_url", Collection: "ansible.builtin", Check: CheckFull, Params: getURLParams(), Run: runGetURL},
		waitForModule(),
	}
}

// urlParams are Ansible's url_argument_spec, as far as curl does them
// (client certificates and GSSAPI are not implemented).
func urlParams() []Param {
	return []Param{
		{Name: "url", Type: Str, Required: true},
		{Name: "force", Aliases: []string{"thirsty"}, Type: Bool, Default: false},
		{Name: "http_agent", Type: Str, Default: "ansible-httpget"},
		{Name: "use_proxy", Type: Bool, Default: true},
		{Name: "validate_certs", Type: Bool, Default: true},
		{Name: "force_basic_auth", Type: Bool, Default: false},
		{Name: "ca_path", Type: Path},
		{Name: "decompress", Type: Bool, Default: true},
	}
}

func uriParams() []Param {
	return append(urlParams(),
		Param{Name: "dest", Type: Path},
		Param{Name: "url_username", Aliases: []string{"user"}, Type: Str},
		Param{Name: "url_password", Aliases: []string{"password"}, Type: Str, NoLog: true},
		Param{Name: "body", Type: Raw},
		Param{Name: "body_format", Type: Str, Default: "raw", Choices: []string{"form-urlencoded", "json", "raw"}},
		Param{Name: "method", Type: Str, Default: "GET"},
		Param{Name: "return_content", Type: Bool, Default: false},
		Param{Name: "follow_redirects", Type: Str, Default: "safe", Choices: []string{"all", "no", "none", "safe", "urllib2", "yes"}},
		Param{Name: "creates", Type: Path},
		Param{Name: "removes", Type: Path},
		Param{Name: "status_code", Type: List, Elements: Int, Default: []any{200}},
		Param{Name: "timeout", Type: Int, Default: 30},
		Param{Name: "headers", Type: Dict, Default: map[string]any{}},
	)
}

func getURLParams() []Param {
	return append(urlParams(),
		Param{Name: "dest", Type: Path, Required: true},
		Param{Name: "url_username", Aliases: []string{"username"}, Type: Str},
		Param{Name: "url_password", Aliases: []string{"password"}, Type: Str, NoLog: true},
		Param{Name: "backup", Type: Bool, Default: false},
		Param{Name: "checksum", Type: Str, Default: ""},
		Param{Name: "timeout", Type: Int, Default: 10},
		Param{Name: "headers", Type: Dict},
		Param{Name: "tmp_dest", Type: Path},
		Param{Name: "mode", Type: Mode},
		Param{Name: "owner", Type: Str},
		Param{Name: "group", Type: Str},
	)
}

// noCurl is the refusal when the host has no curl.
func noCurl(c *Call) Result {
	return Failed("%s runs the request from the host %s with curl, which it does not have: install curl there, or run the task with delegate_to: localhost",
		c.Module.Name, c.Host.Name())
}

// newRequest fills the request options uri and get_url share.
func newRequest(a Args, method string, headers map[string]any) *httpReq {
	q := &httpReq{url: a.Str("url"), method: method, agent: a.Str("http_agent"), validateCerts: a.Bool("validate_certs"),
		forceBasic: a.Bool("force_basic_auth"), caPath: a.Str("ca_path"), decompress: a.Bool("decompress"),
		noProxy: !a.Bool("use_proxy"), timeout: a.Int("timeout")}
	for _, k := range sortedKeys(headers) {
		q.headers = append(q.headers, [2]string{k, fmt.Sprint(headers[k])})
	}
	if a.Has("url_username") {
		q.hasUser, q.user, q.pass = true, a.Str("url_username"), a.Str("url_password")
	}
	if a.Bool("force") {
		q.headers = append(q.headers, [2]string{"cache-control", "no-cache"})
	}
	return q
}

var upperWord = regexp.MustCompile(`^[A-Z]+$`)

// runURI is Ansible's uri, from the host.
func runURI(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	method := strings.ToUpper(a.Str("method"))
	if !upperWord.MatchString(method) {
		return Failed("Parameter 'method' needs to be a single word in uppercase, like GET or POST."), nil
	}
	headers := map[string]any{}
	for k, v := range a.Dict("headers") {
		headers[k] = v
	}
	body, hasBody, err := uriBody(a, headers)
	if err != nil {
		r := Failed("%v", err)
		r["elapsed"] = 0
		return r, nil
	}
	dest, skipped, err := uriPaths(ctx, c)
	if err != nil || skipped != nil {
		return skipped, err
	}
	q := newRequest(a, method, headers)
	q.body, q.hasBody = body, hasBody
	switch a.Str("follow_redirects") {
	case "all", "yes", "urllib2":
		q.follow = true
	case "safe":
		q.follow = method == "GET" || method == "HEAD"
	}
	if a.Has("dest") && dest.kind == "file" && !a.Bool("force") {
		q.ifModifiedSince = dest.mtime
	}
	start := time.Now()
	resp, err := q.do(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	if resp.noCurl {
		return noCurl(c), nil
	}
	r, ok := uriResult(a, resp, int(time.Since(start).Seconds()))
	if a.Has("dest") {
		r["path"] = dest.path
		if st := r["status"]; ok && st != 304 && st != -1 {
			target := uriTarget(dest, resp)
			if err := c.Host.WriteFile(ctx, target, resp.body, 0o644); err != nil {
				return Failed("failed to write %s: %v", target, err), nil
			}
			r["changed"], r["path"] = true, target
		}
	}
	if err := addPathInfo(ctx, c.Host, r); err != nil {
		return nil, err
	}
	return r, nil
}

// uriPaths examines dest, creates and removes on the host; skipped is the
// result when creates exists or removes does not.
func uriPaths(ctx context.Context, c *Call) (dest pathState, skipped Result, err error) {
	a := c.Args
	if !a.Has("dest") && !a.Has("creates") && !a.Has("removes") {
		return dest, nil, nil
	}
	st, err := probePaths(ctx, c.Host, "", a.Str("dest"), a.Str("creates"), a.Str("removes"))
	if err != nil {
		return dest, nil, err
	}
	if a.Has("creates") && st[1].kind != "absent" {
		return dest, Result{"changed": false, "stdout": fmt.Sprintf("skipped, since '%s' exists", st[1].path)}, nil
	}
	if a.Has("removes") && st[2].kind == "absent" {
		return dest, Result{"changed": false, "stdout": fmt.Sprintf("skipped, since '%s' does not exist", st[2].path)}, nil
	}
	return st[0], nil, nil
}

// uriTarget is the file dest names: dest, or in a dest directory the
// response's file name (or index.html).
func uriTarget(dest pathState, resp *httpResp) string {
	if dest.kind != "directory" {
		return dest.path
	}
	name := responseFilename(resp.finalURL, resp.headers)
	if name == "" || name == "/" {
		name = "index.html"
	}
	return path.Join(dest.path, name)
}

// uriResult is uri's result for a response: fetch_url's info with the
// header names as variables (lower case, _ for -), json when the
// response is JSON, content, and failed when the status is not one of
// status_code (ok reports it is).
func uriResult(a Args, resp *httpResp, elapsed int) (Result, bool) {
	reqURL := a.Str("url")
	statusCodes := intList(a.List("status_code"))
	info := resp.info(reqURL)
	status := info["status"].(int)
	r := Result{}
	for k, v := range info {
		r[strings.ToLower(strings.ReplaceAll(k, "-", "_"))] = v
	}
	r["redirected"] = info["url"] != reqURL
	r["elapsed"], r["status"], r["changed"] = elapsed, status, false
	if loc, ok := r["location"].(string); ok {
		r["location"] = absoluteLocation(reqURL, loc)
	}
	_, sub, _ := strings.Cut(mediaType(resp.headers["content-type"]), "/")
	if _, suffix, ok := strings.Cut(sub, "+"); ok {
		sub = suffix
	}
	maybeJSON := resp.headers["content-type"] != "" && (strings.EqualFold(sub, "json") || strings.EqualFold(sub, "javascript"))
	ok := slices.Contains(statusCodes, status)
	content := string(resp.body)
	if status >= 300 && !maybeJSON && !a.Bool("return_content") && ok {
		r["body"] = content // Ansible keeps an error's body when nothing read it
	}
	if maybeJSON && status != -1 {
		var js any
		if json.Unmarshal(resp.body, &js) == nil {
			r["json"] = js
		}
	}
	if !ok {
		r["msg"], r["failed"] = fmt.Sprintf("Status code was %d and not %s: %v", status, pyIntList(statusCodes), info["msg"]), true
	}
	if a.Bool("return_content") {
		r["content"] = content
	}
	return r, ok
}

// uriBody encodes the body as body_format says, and sets Content-Type.
func uriBody(a Args, headers map[string]any) ([]byte, bool, error) {
	b, has := a["body"], a.Has("body")
	setType := func(ct string) {
		for k := range headers {
			if strings.EqualFold(k, "content-type") {
				return
			}
		}
		headers["Content-Type"] = ct
	}
	switch a.Str("body_format") {
	case "json":
		setType("application/json")
		if s, ok := b.(string); ok {
			return []byte(s), has, nil
		}
		if !has {
			return nil, false, nil
		}
		return []byte(pyJSONDumps(b)), true, nil
	case "form-urlencoded":
		setType("application/x-www-form-urlencoded")
		switch x := b.(type) {
		case string:
			return []byte(x), true, nil
		case map[string]any:
			vals := url.Values{}
			for k, v := range x {
				vals.Add(k, fmt.Sprint(v))
			}
			return []byte(vals.Encode()), true, nil
		case []any:
			var parts []string
			for _, it := range x {
				pair, ok := it.([]any)
				if !ok || len(pair) != 2 {
					return nil, false, fmt.Errorf("failed to parse body as form_urlencoded: a list body needs [key, value] pairs")
				}
				parts = append(parts, url.QueryEscape(fmt.Sprint(pair[0]))+"="+url.QueryEscape(fmt.Sprint(pair[1])))
			}
			return []byte(strings.Join(parts, "&")), true, nil
		case nil:
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("failed to parse body as form_urlencoded: %T", b)
	}
	if !has {
		return nil, false, nil
	}
	if s, ok := b.(string); ok {
		return []byte(s), true, nil
	}
	// A mapping or list with body_format raw is what `body: "{{ x |
	// to_json }}"` becomes once templated (Ansible turns the JSON text
	// back into data): send it as the JSON it was.
	return []byte(pyJSONDumps(b)), true, nil
}

// pyJSONDumps encodes v as Python's json.dumps: ", " and ": " separators,
// non-ASCII escaped (keys sorted, as Go maps have no order).
func pyJSONDumps(v any) string {
	var b strings.Builder
	var enc func(any)
	enc = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			b.WriteString("{")
			for i, k := range sortedKeys(x) {
				if i > 0 {
					b.WriteString(", ")
				}
				enc(k)
				b.WriteString(": ")
				enc(x[k])
			}
			b.WriteString("}")
		case []any:
			b.WriteString("[")
			for i, it := range x {
				if i > 0 {
					b.WriteString(", ")
				}
				enc(it)
			}
			b.WriteString("]")
		case string:
			j, _ := json.Marshal(x)
			for _, r := range string(j) {
				if r > 0x7e {
					if r > 0xffff {
						r -= 0x10000
						fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
						continue
					}
					fmt.Fprintf(&b, `\u%04x`, r)
					continue
				}
				b.WriteRune(r)
			}
		default:
			j, _ := json.Marshal(x)
			b.Write(j)
		}
	}
	enc(v)
	return b.String()
}

func intList(l []any) []int {
	var out []int
	for _, v := range l {
		if i, ok := v.(int); ok {
			out = append(out, i)
		}
	}
	return out
}

// pyIntList renders ints as a Python list: [200, 201].
func pyIntList(l []int) string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = strconv.Itoa(v)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
	}
	return strings.TrimSpace(mt)
}

// absoluteLocation is Ansible's absolute_location.
func absoluteLocation(reqURL, loc string) string {
	switch {
	case strings.Contains(loc, "://"):
		return loc
	case strings.HasPrefix(loc, "/"):
		u, err := url.Parse(reqURL)
		if err != nil {
			return loc
		}
		return strings.Replace(reqURL, u.Path, "", -1) + loc
	}
	return loc
}
