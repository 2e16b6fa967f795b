package module

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	nonWord        = regexp.MustCompile(`\W+`)
	contDispRegexp = regexp.MustCompile(`^attachment; ?filename="?([^"]+)`)
)

// runGetURL is Ansible's get_url, from the host: the file is downloaded
// next to its destination (or in tmp_dest), compared by sha1 with the
// destination and moved over it when it differs.
func runGetURL(ctx context.Context, c *Call) (Result, error) {
	r, err := getURL(ctx, c)
	if err != nil || r == nil {
		return r, err
	}
	if _, ok := r["state"]; !ok {
		err = addPathInfo(ctx, c.Host, r)
	}
	return r, err
}

// getURL is the work of runGetURL: plan from the destination's state,
// download, then act.
func getURL(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	g := &getURLRun{c: c, result: Result{"changed": false, "checksum_dest": nil, "checksum_src": nil,
		"dest": a.Str("dest"), "elapsed": 0, "url": a.Str("url")}}
	algo, checksum, failure, err := getURLChecksum(ctx, c, g.result)
	if err != nil || failure != nil {
		return failure, err
	}
	g.algo, g.checksum = algo, checksum
	paths := []string{a.Str("dest")}
	if a.Has("tmp_dest") {
		paths = append(paths, a.Str("tmp_dest"))
	}
	st, err := probePaths(ctx, c.Host, algo, paths...)
	if err != nil {
		return nil, err
	}
	g.dest = st[0]
	g.result["dest"] = g.dest.path
	if done, ok := g.plan(ctx); ok {
		return done, nil
	}
	tmpDir, failMsg := g.tmpDir(st[1:])
	if failMsg != "" {
		return g.fail(failMsg), nil
	}
	g.q.output = path.Join(tmpDir, ".remotectl-get_url-"+RandomSuffix())
	return g.fetch(ctx)
}

// getURLRun is one get_url task under way.
type getURLRun struct {
	c              *Call
	result         Result
	algo, checksum string
	dest           pathState
	q              *httpReq
}

func (g *getURLRun) fail(msg string) Result {
	g.result["failed"], g.result["msg"] = true, msg
	return g.result
}

// plan builds the request; it returns the result when the file is already
// there (not forced, its checksum matches).
func (g *getURLRun) plan(ctx context.Context) (Result, bool) {
	a, d := g.c.Args, g.dest
	force := a.Bool("force")
	g.q = newRequest(a, "GET", a.Dict("headers"))
	g.q.follow = true // get_url follows redirects (urllib2)
	if g.c.Check {
		g.q.method = "HEAD"
	}
	if d.kind != "file" {
		return nil, false
	}
	if !force && g.checksum != "" && g.checksum == d.digest {
		changed, fi, err := applyAttrs(ctx, g.c, d.path, g.c.Check)
		if err != nil {
			return g.fail(err.Error()), true
		}
		g.result["changed"], g.result["msg"] = changed, "file already exists"
		if changed {
			g.result["msg"] = "file already exists but file attributes changed"
		}
		fi.add(g.result)
		return g.result, true
	}
	if !force && g.checksum != "" {
		// a mismatch forces the download, as force does
		g.q.headers = append(g.q.headers, [2]string{"cache-control", "no-cache"})
	} else if !force {
		g.q.ifModifiedSince = d.mtime
	}
	return nil, false
}

// tmpDir is where the download waits: tmp_dest, else next to dest (so
// that the move is a rename), else /tmp when dest's directory is missing
// (Ansible downloads before it finds out).
func (g *getURLRun) tmpDir(tmpDest []pathState) (string, string) {
	if len(tmpDest) > 0 {
		switch t := tmpDest[0]; t.kind {
		case "directory":
			return t.path, ""
		case "file":
			return "", t.path + " is a file but should be a directory."
		default:
			return "", t.path + " directory does not exist."
		}
	}
	switch {
	case g.dest.kind == "directory":
		return g.dest.path, ""
	case g.dest.kind == "absent" && !g.dest.parentDir:
		return "/tmp", ""
	}
	return path.Dir(g.dest.path), ""
}

// fetch downloads, then compares and moves the file into place.
func (g *getURLRun) fetch(ctx context.Context) (Result, error) {
	c, q, reqURL := g.c, g.q, g.c.Args.Str("url")
	start := time.Now()
	resp, err := q.do(ctx, c.Host)
	if err != nil {
		return nil, err
	}
	if resp.noCurl {
		return noCurl(c), nil
	}
	removeTmp := func() { c.Host.Run(context.WithoutCancel(ctx), Command{Argv: []string{"rm", "-f", q.output}}) } //nolint:errcheck // best effort
	elapsed := int(time.Since(start).Seconds())
	info := resp.info(reqURL)
	status := info["status"].(int)
	if r := statusResult(status, info, reqURL, g.dest, elapsed); r != nil {
		removeTmp()
		return r, nil
	}
	g.result["elapsed"], g.result["src"] = elapsed, q.output
	target, err := g.target(ctx, resp)
	if err != nil {
		removeTmp()
		return nil, err
	}
	g.result["checksum_src"] = resp.outputSum
	if target.kind == "file" {
		g.result["checksum_dest"] = target.sha1
	} else if !target.parentDir {
		removeTmp()
		return g.fail(fmt.Sprintf("Destination %s does not exist", path.Dir(target.path))), nil
	}
	if c.Check {
		removeTmp()
		g.result["changed"] = target.kind != "file" || resp.outputSum != target.sha1
		g.result["msg"] = info["msg"]
		return g.result, nil
	}
	act, err := getURLAct(ctx, c, q.output, target, resp.outputSum != target.sha1 || target.kind != "file", g.algo)
	if err != nil {
		return nil, err
	}
	if act.err != "" {
		return g.fail(act.err), nil
	}
	g.result["changed"] = act.moved || act.attrs
	if g.checksum != "" && act.digest != g.checksum {
		if _, err := c.Host.Run(ctx, Command{Argv: []string{"rm", "-f", "--", target.path}}); err != nil {
			return nil, err
		}
		return g.fail(fmt.Sprintf("The checksum for %s did not match %s; it was %s.", target.path, g.checksum, act.digest)), nil
	}
	g.result["md5sum"] = act.md5
	if act.backup != "" {
		g.result["backup_file"] = act.backup
	}
	g.result["msg"], g.result["status_code"] = info["msg"], status
	act.info.add(g.result)
	return g.result, nil
}

// statusResult is get_url's result for a response it does not save: not
// modified (304), no response (-1), or another status than 200.
func statusResult(status int, info map[string]any, reqURL string, d pathState, elapsed int) Result {
	switch {
	case status == 304:
		r := Result{"url": reqURL, "dest": d.path, "changed": false, "msg": info["msg"], "status_code": 304, "elapsed": elapsed}
		d.info.add(r)
		return r
	case status == -1:
		return Result{"failed": true, "changed": false, "msg": info["msg"], "url": reqURL, "dest": d.path, "elapsed": elapsed}
	case status != 200 && !strings.HasPrefix(reqURL, "file:/"):
		return Result{"failed": true, "changed": false, "msg": "Request failed", "status_code": status, "response": info["msg"],
			"url": reqURL, "dest": d.path, "elapsed": elapsed}
	}
	return nil
}

// target is the file to write: dest, or in a dest directory the name the
// response gives (Content-Disposition) or the final URL's last part.
func (g *getURLRun) target(ctx context.Context, resp *httpResp) (pathState, error) {
	if g.dest.kind != "directory" {
		return g.dest, nil
	}
	name := ""
	if m := contDispRegexp.FindStringSubmatch(resp.headers["content-disposition"]); m != nil {
		name = path.Base(m[1])
	}
	if name == "" {
		name = urlFilename(resp.finalURL)
	}
	ts, err := probePaths(ctx, g.c.Host, g.algo, path.Join(g.dest.path, name))
	if err != nil {
		return pathState{}, err
	}
	g.result["dest"] = ts[0].path
	return ts[0], nil
}

// urlFilename is get_url's url_filename.
func urlFilename(u string) string {
	p := u
	if i := strings.Index(u, "://"); i >= 0 {
		p = u[i+3:]
		if j := strings.IndexByte(p, '/'); j >= 0 {
			p = p[j:]
		} else {
			p = ""
		}
	}
	p, _, _ = strings.Cut(p, "?")
	p, _, _ = strings.Cut(p, "#")
	if fn := path.Base("/" + p); fn != "/" && !strings.HasSuffix(p, "/") && p != "" {
		return fn
	}
	return "index.html"
}

// getURLChecksum parses checksum ("algo:hex" or "algo:URL of a checksum
// file"); a failure is returned as the result (result with failed and msg).
func getURLChecksum(ctx context.Context, c *Call, result Result) (algo, sum string, failure Result, err error) {
	spec := c.Args.Str("checksum")
	if spec == "" {
		return "", "", nil, nil
	}
	failed := func(msg string) (string, string, Result, error) {
		result["failed"], result["msg"] = true, msg
		return "", "", result, nil
	}
	algo, sum, ok := strings.Cut(spec, ":")
	if !ok {
		return failed("The checksum parameter has to be in format <algorithm>:<checksum>")
	}
	if !slices.Contains(digestAlgorithms, algo) {
		return failed(fmt.Sprintf("Could not hash file with algorithm '%s'. Available algorithms: %s", algo, strings.Join(digestAlgorithms, ", ")))
	}
	if u := strings.ToLower(sum); strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "ftp://") || strings.HasPrefix(u, "file://") {
		q := newRequest(c.Args, "GET", c.Args.Dict("headers"))
		q.url, q.follow = sum, true
		resp, err := q.do(ctx, c.Host)
		if err != nil {
			return "", "", nil, err
		}
		if resp.noCurl {
			return "", "", noCurl(c), nil
		}
		if info := resp.info(sum); info["status"] != 200 {
			result["status_code"], result["response"] = info["status"], info["msg"]
			return failed("Request failed")
		}
		found, ok := checksumFromFile(string(resp.body), urlFilename(c.Args.Str("url")))
		if !ok {
			return failed(fmt.Sprintf("Unable to find a checksum for file '%s' in '%s'", urlFilename(c.Args.Str("url")), sum))
		}
		sum = found
	}
	sum = strings.ToLower(nonWord.ReplaceAllString(sum, ""))
	if !isHex(sum) {
		return failed("The checksum format is invalid")
	}
	return algo, sum, nil, nil
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// checksumFromFile finds filename's checksum in a checksum file as
// get_url does: a single word is the checksum; otherwise "sum  name" lines.
func checksumFromFile(text, filename string) (string, bool) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) == 1 && len(strings.Fields(lines[0])) == 1 {
		return strings.TrimSpace(lines[0]), true
	}
	for _, l := range lines {
		sum, name, ok := strings.Cut(l, " ")
		if !ok {
			continue
		}
		if strings.HasPrefix(name, " ") || strings.HasPrefix(name, "*") {
			name = name[1:]
		}
		if strings.TrimLeft(name, "./") == filename {
			return sum, true
		}
	}
	return "", false
}

// actReport is what the act script of get_url says.
type actReport struct {
	moved, attrs bool
	backup       string
	digest, md5  string
	info         fileInfo
	err          string
}

// getURLAct moves the download over the destination (when move; with a
// backup), checks its digest, applies mode/owner/group and reports.
func getURLAct(ctx context.Context, c *Call, tmp string, target pathState, move bool, algo string) (actReport, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "_rctl_p=%s\n_rctl_tmp=%s\n", Quote(target.path), Quote(tmp))
	if move {
		if c.Args.Bool("backup") && target.kind == "file" {
			b.WriteString(`_rctl_b="$_rctl_p.$$.$(date +%Y-%m-%d@%H:%M:%S~)"; cp -p -- "$_rctl_p" "$_rctl_b" || exit 1; echo "backup $_rctl_b"
`)
		}
		b.WriteString(`if [ -e "$_rctl_p" ]; then chmod --reference="$_rctl_p" "$_rctl_tmp" && chown --reference="$_rctl_p" "$_rctl_tmp" 2>/dev/null
else chmod "$(printf %o $((0666 & ~$(umask))))" "$_rctl_tmp"; fi
mv -f -- "$_rctl_tmp" "$_rctl_p" || { rm -f -- "$_rctl_tmp"; exit 1; }
echo moved
`)
	} else {
		b.WriteString("rm -f -- \"$_rctl_tmp\"\n")
	}
	if algo != "" {
		fmt.Fprintf(&b, "echo \"digest %s\"\n", digestCmd(algo))
	}
	if s := attrScript(c.Args.Str("mode"), c.Args.Str("owner"), c.Args.Str("group"), false); s != "" {
		fmt.Fprintf(&b, "_rctl_attrs() {\n%s}\n_rctl_attrs \"$_rctl_p\" | sed 's/^changed$/attrs/' | sort -u\n", s)
	}
	fmt.Fprintf(&b, "echo \"md5 $(md5sum < \"$_rctl_p\" | cut -d' ' -f1)\"\necho \"stat $(stat -c '%s' -- \"$_rctl_p\")\"\n", statFormat)
	out, err := c.Host.Run(ctx, Command{Script: b.String()})
	if err != nil {
		return actReport{}, err
	}
	var r actReport
	for _, l := range strings.Split(out.Stdout, "\n") {
		k, v, _ := strings.Cut(l, " ")
		switch k {
		case "moved":
			r.moved = true
		case "attrs":
			r.attrs = true
		case "backup":
			r.backup = v
		case "digest":
			r.digest = v
		case "md5":
			r.md5 = v
		case "stat":
			_, r.info = parseStat(v)
		}
	}
	if out.RC != 0 {
		r.err = fmt.Sprintf("failed to copy %s to %s: %s", tmp, target.path, strings.TrimSpace(out.Stderr))
	}
	return r, nil
}

// applyAttrs applies mode/owner/group to an existing file (predicts in
// check mode) and returns whether they changed and the file's info.
func applyAttrs(ctx context.Context, c *Call, p string, check bool) (bool, fileInfo, error) {
	s := attrScript(c.Args.Str("mode"), c.Args.Str("owner"), c.Args.Str("group"), check)
	script := fmt.Sprintf("_rctl_attrs() {\n%s:\n}\n_rctl_attrs %s || exit 1\necho \"stat $(stat -c '%s' -- %s)\"\n", s, Quote(p), statFormat, Quote(p))
	out, err := c.Host.Run(ctx, Command{Script: script})
	if err != nil {
		return false, fileInfo{}, err
	}
	if out.RC != 0 {
		return false, fileInfo{}, fmt.Errorf("cannot set the attributes of %s: %s", p, strings.TrimSpace(out.Stderr))
	}
	_, after, _ := strings.Cut(out.Stdout, "stat ")
	_, fi := parseStat(strings.TrimSpace(after))
	return strings.Contains(out.Stdout, "changed"), fi, nil
}
