package module

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// gitModule is ansible.builtin.git through the host's git: one probe (the
// checkout's HEAD, local modifications, remote URL, git ls-remote of the
// repository), the decision of git.py's main, one script that clones or
// fetches and switches to the version.
func gitModule() *Module {
	return &Module{Name: "git", Collection: "ansible.builtin", Check: CheckFull,
		Params: []Param{
			{Name: "repo", Aliases: []string{"name"}, Type: Str, Required: true},
			{Name: "dest", Type: Path, Required: true},
			{Name: "version", Type: Str, Default: "HEAD"},
			{Name: "remote", Type: Str, Default: "origin"},
			{Name: "force", Type: Bool, Default: false},
			{Name: "depth", Type: Int},
			{Name: "clone", Type: Bool, Default: true},
			{Name: "update", Type: Bool, Default: true},
			{Name: "bare", Type: Bool, Default: false},
			{Name: "recursive", Type: Bool, Default: true},
			{Name: "single_branch", Type: Bool, Default: false},
			{Name: "accept_hostkey", Type: Bool, Default: false},
			{Name: "accept_newhostkey", Type: Bool, Default: false},
			{Name: "key_file", Type: Path},
			{Name: "ssh_opts", Type: Str},
			{Name: "executable", Type: Path},
			{Name: "umask", Type: Raw},
		},
		Run: runGit,
	}
}

// gitProbe is what the probe found.
type gitProbe struct {
	exists    bool
	before    string
	localMods bool
	remoteURL string
	lsRC      int
	lsErr     string
	heads     map[string]string // branch → sha
	tags      map[string]string // tag → sha (peeled for annotated tags)
	head      string            // the remote's HEAD
}

func parseGitProbe(out string) *gitProbe {
	p := &gitProbe{heads: map[string]string{}, tags: map[string]string{}}
	for _, line := range strings.Split(out, "\n") {
		tag, rest, _ := strings.Cut(line, "\t")
		switch tag {
		case "EXISTS":
			p.exists = true
		case "BEFORE":
			p.before = strings.TrimSpace(rest)
		case "MODS":
			p.localMods = true
		case "URL":
			p.remoteURL = strings.TrimSpace(rest)
		case "LSRC":
			p.lsRC, _ = strconv.Atoi(strings.TrimSpace(rest))
		case "LSERR":
			p.lsErr += rest + " "
		case "LS":
			sha, ref, _ := strings.Cut(rest, "\t")
			switch {
			case ref == "HEAD":
				p.head = sha
			case strings.HasPrefix(ref, "refs/heads/"):
				p.heads[strings.TrimPrefix(ref, "refs/heads/")] = sha
			case strings.HasPrefix(ref, "refs/tags/") && strings.HasSuffix(ref, "^{}"):
				p.tags[strings.TrimSuffix(strings.TrimPrefix(ref, "refs/tags/"), "^{}")] = sha
			case strings.HasPrefix(ref, "refs/tags/"):
				name := strings.TrimPrefix(ref, "refs/tags/")
				if _, peeled := p.tags[name]; !peeled {
					p.tags[name] = sha
				}
			}
		}
	}
	return p
}

// remoteHead is get_remote_head: the sha the version names on the remote
// (a sha is itself).
func (p *gitProbe) remoteHead(version string) string {
	if version == "HEAD" {
		return p.head
	}
	if sha, ok := p.heads[version]; ok {
		return sha
	}
	if sha, ok := p.tags[version]; ok {
		return sha
	}
	return version
}

// gitRepoURL is git.py's: an absolute path becomes a file:// URL.
func gitRepoURL(repo string) string {
	if strings.HasPrefix(repo, "/") {
		return "file://" + repo
	}
	return repo
}

// unfrackGitPath normalises a repository URL for comparison.
func unfrackGitPath(u string) string {
	if rest, ok := strings.CutPrefix(u, "file://"); ok {
		return path.Clean(rest)
	}
	return strings.TrimSuffix(u, "/")
}

func gitEnv(a Args) (map[string]string, string) {
	env := map[string]string{"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C", "LC_CTYPE": "C"}
	opts := a.Str("ssh_opts")
	add := func(o string) {
		if !strings.Contains(opts, "-o StrictHostKeyChecking=no") && !strings.Contains(opts, "-o StrictHostKeyChecking=accept-new") {
			opts = strings.TrimSpace(opts + " " + o)
		}
	}
	if a.Bool("accept_hostkey") {
		add("-o StrictHostKeyChecking=no")
	}
	if a.Bool("accept_newhostkey") {
		add("-o StrictHostKeyChecking=accept-new")
	}
	ssh := ""
	if k := a.Str("key_file"); k != "" {
		ssh = "ssh -i " + Quote(k) + " -o IdentitiesOnly=yes"
	}
	if opts != "" {
		if ssh == "" {
			ssh = "ssh"
		}
		ssh += " " + opts
	}
	if ssh != "" {
		env["GIT_SSH_COMMAND"] = ssh
	}
	prefix := ""
	if raw, ok := a["umask"]; ok && raw != nil {
		if _, isStr := raw.(string); !isStr {
			return nil, "umask must be defined as a quoted octal integer"
		}
	}
	if u := a.Str("umask"); u != "" {
		if _, err := strconv.ParseUint(u, 8, 32); err != nil {
			return nil, "umask must be an octal integer"
		}
		prefix = "umask " + u + "\n"
	}
	return env, prefix
}

// gitProbeScript: does the checkout exist, its HEAD, local modifications
// and remote URL; git ls-remote of the repository unless the checkout
// exists and update is off.
func gitProbeScript(git, dest, repo, remote string, bare, update bool) string {
	cfg := `"$d/.git/config"`
	if bare {
		cfg = `"$d/config"`
	}
	mods := ""
	if !bare {
		mods = fmt.Sprintf(`[ -n "$(%s -C "$d" status --porcelain --untracked-files=no 2>/dev/null)" ] && echo MODS`, git)
	}
	return fmt.Sprintf(`d=%[2]s
e=
if [ -f "$d/.git" ]; then gd=$(sed -n 's/^gitdir: //p' "$d/.git"); case $gd in /*) ;; *) gd="$d/$gd";; esac; [ -e "$gd/config" ] && e=1
elif [ -e %[3]s ]; then e=1; fi
[ -n "$e" ] && echo EXISTS
if [ -d "$d" ] && %[1]s -C "$d" rev-parse --git-dir >/dev/null 2>&1; then
  printf 'BEFORE\t%%s\n' "$(%[1]s -C "$d" rev-parse HEAD 2>/dev/null)"
  %[4]s
  printf 'URL\t%%s\n' "$(%[1]s -C "$d" ls-remote --get-url %[5]s 2>/dev/null)"
fi
if [ -z "$e" ] || [ %[7]t = true ]; then
  if out=$(%[1]s ls-remote %[6]s 2>&1); then echo "LSRC	0"; printf '%%s\n' "$out" | sed 's/^/LS\t/'
  else echo "LSRC	1"; printf '%%s\n' "$out" | sed 's/^/LSERR\t/'; fi
fi
:
`, git, Quote(dest), cfg, mods, Quote(remote), Quote(repo), update)
}

// gitSwitchScript is switch_version.
func gitSwitchScript(git, remote, version string, p *gitProbe, depth int) string {
	r := Quote(remote)
	if version == "HEAD" {
		return fmt.Sprintf(`b=$(%[1]s symbolic-ref --short refs/remotes/%[2]s/HEAD 2>/dev/null) || { %[1]s remote set-head %[2]s -a >/dev/null 2>&1; b=$(%[1]s symbolic-ref --short refs/remotes/%[2]s/HEAD); } || { echo "Failed to checkout branch" >&2; exit 1; }
b=${b#%[2]s/}
%[1]s checkout --force "$b" || { echo "Failed to checkout branch $b" >&2; exit 1; }
%[1]s reset --hard "%[2]s/$b" -- || { echo "Failed to checkout branch $b" >&2; exit 1; }
`, git, r)
	}
	v := Quote(version)
	if _, ok := p.heads[version]; ok {
		s := ""
		if depth > 0 {
			s = fmt.Sprintf("%[1]s show-ref --verify --quiet refs/heads/%[2]s || %[1]s fetch --depth=%[4]d %[3]s +refs/heads/%[2]s:refs/remotes/%[3]s/%[2]s\n", git, v, r, depth)
		}
		return s + fmt.Sprintf(`if %[1]s show-ref --verify --quiet refs/heads/%[2]s; then
  %[1]s checkout --force %[2]s || { echo "Failed to checkout branch %[2]s" >&2; exit 1; }
  %[1]s reset --hard %[3]s/%[2]s || { echo "Failed to checkout %[2]s" >&2; exit 1; }
else %[1]s checkout --track -b %[2]s %[3]s/%[2]s || { echo "Failed to checkout %[2]s" >&2; exit 1; }; fi
`, git, v, r)
	}
	return fmt.Sprintf("%[1]s checkout --force %[2]s || { echo \"Failed to checkout %[2]s\" >&2; exit 1; }\n", git, v)
}

func runGit(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	git := "git"
	if e := a.Str("executable"); e != "" {
		git = Quote(e)
	}
	env, umask := gitEnv(a)
	if env == nil {
		return Failed("%s", umask), nil
	}
	dest, repo, remote, version := a.Str("dest"), gitRepoURL(a.Str("repo")), a.Str("remote"), a.Str("version")
	bare := a.Bool("bare")
	out, err := c.Host.Run(ctx, Command{Script: gitProbeScript(git, dest, repo, remote, bare, a.Bool("update")), Env: env})
	if err != nil {
		return nil, err
	}
	p := parseGitProbe(out.Stdout)
	res := Result{"changed": false, "before": nil}
	if p.lsRC != 0 && (!p.exists || c.Check && a.Bool("update")) {
		return Failed("Failed to get remote HEAD of %s: %s", repo, strings.TrimSpace(p.lsErr)), nil
	}
	if !p.exists {
		if c.Check || !a.Bool("clone") {
			res["changed"], res["after"] = true, p.remoteHead(version)
			return res, nil
		}
		return gitAct(ctx, c, env, umask+gitCloneScript(git, a, p, repo), p, res)
	}
	res["before"] = p.before
	if !a.Bool("update") {
		res["after"] = p.before
		return res, nil
	}
	var script strings.Builder
	script.WriteString(umask)
	fmt.Fprintf(&script, "cd %s || exit 1\n", Quote(dest))
	if p.localMods {
		if !a.Bool("force") {
			res := Failed("Local modifications exist in the destination: %s (force=no).", dest)
			res["before"] = p.before
			return res, nil
		}
		if !c.Check {
			res["changed"], res["msg"] = true, "Local modifications exist in the destination: "+dest
			fmt.Fprintf(&script, "%s reset --hard HEAD || exit 1\n", git)
		}
	}
	urlChanged := p.remoteURL != "" && p.remoteURL != repo && unfrackGitPath(p.remoteURL) != unfrackGitPath(repo)
	res["remote_url_changed"] = urlChanged
	if c.Check {
		after := p.remoteHead(version)
		res["changed"], res["after"] = p.before != after || urlChanged, after
		return res, nil
	}
	if urlChanged {
		fmt.Fprintf(&script, "%s remote set-url %s %s || exit 1\n", git, Quote(remote), Quote(repo))
	}
	script.WriteString(gitFetchScript(git, a, remote, bare))
	if !bare {
		script.WriteString(gitSwitchScript(git, remote, version, p, a.Int("depth")))
	}
	if a.Bool("recursive") && !bare {
		fmt.Fprintf(&script, "if [ -f .gitmodules ]; then %s submodule update --init --recursive || exit 1; fi\n", git)
	}
	res["local_mods"] = p.localMods
	return gitAct(ctx, c, env, script.String(), p, res)
}

// gitCloneScript is clone + switch_version.
func gitCloneScript(git string, a Args, p *gitProbe, repo string) string {
	dest, version, remote := a.Str("dest"), a.Str("version"), a.Str("remote")
	argv := []string{git, "clone"}
	if a.Bool("bare") {
		argv = append(argv, "--bare")
	} else {
		argv = append(argv, "--origin", Quote(remote))
	}
	_, isBranch := p.heads[version]
	_, isTag := p.tags[version]
	if d := a.Int("depth"); d > 0 {
		if version == "HEAD" {
			argv = append(argv, "--depth", strconv.Itoa(d))
		} else if isBranch || isTag {
			argv = append(argv, "--depth", strconv.Itoa(d), "--branch", Quote(version))
		}
	}
	if a.Bool("single_branch") {
		argv = append(argv, "--single-branch")
		if (isBranch || isTag) && a.Int("depth") == 0 {
			argv = append(argv, "--branch", Quote(version))
		}
	}
	argv = append(argv, Quote(repo), Quote(dest))
	s := fmt.Sprintf("mkdir -p %s || exit 1\n%s || exit 1\ncd %s || exit 1\n", Quote(path.Dir(dest)), strings.Join(argv, " "), Quote(dest))
	if a.Bool("bare") {
		if version != "HEAD" {
			s += fmt.Sprintf("%s fetch %s %s || exit 1\n", git, Quote(remote), Quote(version))
		}
		return s
	}
	if version != "HEAD" {
		s += gitSwitchScript(git, remote, version, p, a.Int("depth"))
	}
	if a.Bool("recursive") {
		s += fmt.Sprintf("if [ -f .gitmodules ]; then %s submodule update --init --recursive || exit 1; fi\n", git)
	}
	return s
}

// gitFetchScript is fetch: the branches and tags of the remote.
func gitFetchScript(git string, a Args, remote string, bare bool) string {
	argv := []string{git, "fetch"}
	if d := a.Int("depth"); d > 0 {
		argv = append(argv, "--depth="+strconv.Itoa(d))
	}
	if a.Bool("force") {
		argv = append(argv, "--force")
	}
	argv = append(argv, Quote(remote))
	if bare {
		argv = append(argv, "'+refs/heads/*:refs/heads/*'", "'+refs/tags/*:refs/tags/*'")
	} else {
		argv = append(argv, Quote("+refs/heads/*:refs/remotes/"+remote+"/*"), "'+refs/tags/*:refs/tags/*'")
	}
	return strings.Join(argv, " ") + " || { echo \"Failed to download remote objects and refs\" >&2; exit 1; }\n"
}

// gitAct runs the script and reads the version after.
func gitAct(ctx context.Context, c *Call, env map[string]string, script string, p *gitProbe, res Result) (Result, error) {
	git := "git"
	if e := c.Args.Str("executable"); e != "" {
		git = Quote(e)
	}
	script += fmt.Sprintf("printf '\\nAFTER\\t%%s\\n' \"$(%s rev-parse HEAD)\"\n", git)
	out, err := c.Host.Run(ctx, Command{Script: script, Env: env})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		r := Failed("%s", strings.TrimSpace(out.Stderr))
		r["before"], r["stdout"], r["stderr"], r["rc"] = res["before"], out.Stdout, out.Stderr, out.RC
		return r, nil
	}
	after := ""
	if i := strings.LastIndex(out.Stdout, "AFTER\t"); i >= 0 {
		after = strings.TrimSpace(out.Stdout[i+6:])
	}
	res["after"] = after
	before, _ := res["before"].(string)
	urlChanged, _ := res["remote_url_changed"].(bool)
	localMods, _ := res["local_mods"].(bool)
	delete(res, "local_mods")
	if res["before"] == nil || before != after || urlChanged || localMods {
		res["changed"] = true
	}
	return res, nil
}
