package module

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// repoModules are the modules that manage package repositories.
func repoModules() []*Module {
	return []*Module{
		{Name: "apt_repository", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
			Params: []Param{
				{Name: "repo", Type: Str, Required: true},
				{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
				{Name: "mode", Type: Mode},
				{Name: "update_cache", Aliases: []string{"update-cache"}, Type: Bool, Default: true},
				{Name: "update_cache_retries", Type: Int, Default: 5},
				{Name: "update_cache_retry_max_delay", Type: Int, Default: 12},
				{Name: "filename", Type: Str},
				// remotectl needs no python-apt on the host: accepted, nothing to install.
				{Name: "install_python_apt", Type: Bool, Default: true},
				{Name: "validate_certs", Type: Bool, Default: true},
				{Name: "codename", Type: Str},
			},
			Run: runAptRepository},
	}
}

// aptSourceTypes are the first words of a valid sources.list line.
var aptSourceTypes = []string{"deb", "deb-src"}

// aptSourceLine is one line of a sources file, as apt_repository.py's
// SourcesList reads it (_parse).
type aptSourceLine struct {
	valid, enabled  bool
	source, comment string
}

// parseAptSource is SourcesList._parse.
func parseAptSource(line string) aptSourceLine {
	l := aptSourceLine{enabled: true}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		l.enabled = false
		line = line[1:]
	}
	if i := strings.IndexByte(line, '#'); i > 0 {
		l.comment = strings.TrimSpace(line[i+1:])
		line = line[:i]
	}
	l.source = strings.TrimSpace(line)
	if l.source != "" {
		chunks := strings.Fields(l.source)
		if slices.Contains(aptSourceTypes, chunks[0]) {
			l.valid = true
			l.source = strings.Join(chunks, " ")
		}
	}
	return l
}

func (l aptSourceLine) String() string {
	var b strings.Builder
	if !l.enabled {
		b.WriteString("# ")
	}
	b.WriteString(l.source)
	if l.comment != "" {
		b.WriteString(" # " + l.comment)
	}
	b.WriteString("\n")
	return b.String()
}

// aptSources is every sources file of the host: sources.list, then
// sources.list.d/*.list in order.
type aptSources struct {
	order []string
	files map[string][]aptSourceLine
	raw   map[string]string // the files' text as read
	added map[string]bool   // files a new source went to: they get the mode
}

func (s *aptSources) load(name, content string) {
	var lines []aptSourceLine
	for _, l := range strings.SplitAfter(content, "\n") {
		if l == "" {
			continue
		}
		lines = append(lines, parseAptSource(l))
	}
	s.order = append(s.order, name)
	s.files[name] = lines
	s.raw[name] = content
}

// dump is SourcesList.dump: the normalised text of each file that has lines.
func (s *aptSources) dump() map[string]string {
	out := map[string]string{}
	for _, name := range s.order {
		lines := s.files[name]
		if len(lines) == 0 {
			continue
		}
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(l.String())
		}
		out[name] = b.String()
	}
	return out
}

// add is _add_valid_source: an existing line with the same source is
// enabled; otherwise the source is appended to file.
func (s *aptSources) add(source, file string) {
	found := false
	for _, name := range s.order {
		for i, l := range s.files[name] {
			if l.valid && l.source == source {
				s.files[name][i].enabled = true
				found = true
			}
		}
	}
	if found {
		return
	}
	if _, ok := s.files[file]; !ok {
		s.order = append(s.order, file)
	}
	s.files[file] = append(s.files[file], aptSourceLine{valid: true, enabled: true, source: source})
	s.added[file] = true
}

// remove is _remove_valid_source: enabled lines with the source go.
func (s *aptSources) remove(source string) {
	for _, name := range s.order {
		lines := s.files[name][:0]
		for _, l := range s.files[name] {
			if !(l.valid && l.enabled && l.source == source) {
				lines = append(lines, l)
			}
		}
		s.files[name] = lines
	}
}

var (
	aptOptions  = regexp.MustCompile(`\[[^\]]+\]`)
	aptProtocol = regexp.MustCompile(`\w+://`)
	notAlnum    = regexp.MustCompile(`[^a-zA-Z0-9]`)
)

// aptSuggestFilename is SourcesList._suggest_filename: the file a new
// source goes to, in the parts directory.
func aptSuggestFilename(source, filename string) string {
	if filename != "" {
		return filename + ".list"
	}
	line := aptProtocol.ReplaceAllString(aptOptions.ReplaceAllString(source, ""), "")
	var parts []string
	for _, p := range strings.Fields(line) {
		if !slices.Contains(aptSourceTypes, p) {
			parts = append(parts, p)
		}
	}
	first := ""
	if len(parts) > 0 {
		first = parts[0]
		if i := strings.IndexByte(first, '@'); i >= 0 {
			first = first[i+1:]
		}
	}
	return strings.Join(strings.Fields(notAlnum.ReplaceAllString(first, " ")), "_") + ".list"
}

// aptRepoProbe prints apt's sources file and parts directory (apt-config,
// so APT_CONFIG is honoured as python-apt does), then each sources file as
// "file PATH BASE64".
const aptRepoProbe = `command -v apt-config >/dev/null 2>&1 || { echo 'noapt'; exit 0; }
eval "$(apt-config shell _rctl_main Dir::Etc::sourcelist/f _rctl_parts Dir::Etc::sourceparts/d)"
echo "main $_rctl_main"
echo "parts $_rctl_parts"
for f in "$_rctl_main" "$_rctl_parts"*.list; do
  [ -f "$f" ] || continue
  printf 'file %s %s\n' "$(printf %s "$f" | base64 -w0)" "$(base64 -w0 < "$f")"
done
`

func runAptRepository(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	repo, state := a.Str("repo"), a.Str("state")
	if repo == "" {
		return Failed("Please set argument 'repo' to a non-empty value"), nil
	}
	if strings.HasPrefix(repo, "ppa:") {
		return Failed("apt_repository: ppa: repositories are not implemented by remotectl (they need Launchpad's API and a key server); write the deb line and add the key with get_url"), nil
	}
	out, err := c.Host.Run(ctx, Command{Script: aptRepoProbe})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return Failed("cannot read the apt sources: %s", strings.TrimSpace(out.Stderr)), nil
	}
	src := &aptSources{files: map[string][]aptSourceLine{}, raw: map[string]string{}, added: map[string]bool{}}
	var parts string
	for _, line := range strings.Split(out.Stdout, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && f[0] == "noapt":
			return Failed("Module apt_repository is not supported on target."), nil
		case len(f) == 2 && f[0] == "parts":
			parts = f[1]
		case len(f) >= 2 && f[0] == "file":
			name, _ := base64.StdEncoding.DecodeString(f[1])
			var content []byte
			if len(f) == 3 {
				content, _ = base64.StdEncoding.DecodeString(f[2])
			}
			src.load(string(name), string(content))
		}
	}
	line := parseAptSource(repo)
	if !line.valid || !line.enabled {
		return Failed("Invalid repository string: %s", strings.TrimSpace(repo)), nil
	}
	before := src.dump()
	switch state {
	case "present":
		file := aptSuggestFilename(line.source, a.Str("filename"))
		if !strings.Contains(file, "/") {
			file = path.Join(parts, file)
		}
		src.add(line.source, file)
	case "absent":
		src.remove(line.source)
	}
	after := src.dump()
	changed := !mapsEqual(before, after)
	res := Result{"changed": changed, "repo": repo, "state": state, "diff": map[string]any{}}
	if changed && c.Diff {
		res["diff"] = aptRepoDiff(before, after)
	}
	if !changed || c.Check {
		return res, nil
	}
	if msg, err := saveAptSources(ctx, c, src, src.raw, after); err != nil || msg != "" {
		if err != nil {
			return nil, err
		}
		return Failed("%s", msg), nil
	}
	if a.Bool("update_cache") {
		if msg, err := aptRepoUpdate(ctx, c); err != nil || msg != "" {
			if err != nil {
				return nil, err
			}
			// As Ansible: the sources go back to what they were.
			if _, err := saveAptSources(ctx, c, src, after, before); err != nil {
				return nil, err
			}
			return Failed("Failed to update apt cache: %s", msg), nil
		}
	}
	return res, nil
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func aptRepoDiff(before, after map[string]string) []any {
	var names []string
	for n := range before {
		names = append(names, n)
	}
	for n := range after {
		if _, ok := before[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var diff []any
	for _, n := range names {
		bh, ah := n, n
		if _, ok := before[n]; !ok {
			bh = "/dev/null"
		}
		if _, ok := after[n]; !ok {
			ah = "/dev/null"
		}
		diff = append(diff, map[string]any{"before": before[n], "after": after[n], "before_header": bh, "after_header": ah})
	}
	return diff
}

// saveAptSources writes every file whose text (old: as read) is not its
// normalised new text, and removes those left without lines, as
// SourcesList.save does. New files get the mode parameter (default 0644).
func saveAptSources(ctx context.Context, c *Call, src *aptSources, old, new map[string]string) (string, error) {
	mode := fs.FileMode(0o644)
	if m := c.Args.Str("mode"); m != "" {
		n, err := strconv.ParseUint(m, 8, 32)
		if err != nil {
			return "mode must be in octal form", nil
		}
		mode = fs.FileMode(n)
	}
	var dirs, removals strings.Builder
	var writes []string
	for _, name := range src.order {
		text, ok := new[name]
		switch {
		case !ok:
			fmt.Fprintf(&removals, "rm -f -- %s\n", Quote(name))
		case old[name] != text:
			writes = append(writes, name)
			fmt.Fprintf(&dirs, "mkdir -p -- %s\n", Quote(path.Dir(name)))
		}
	}
	if msg, err := runChecked(ctx, c, dirs.String()); msg != "" || err != nil {
		return msg, err
	}
	for _, name := range writes {
		m := fs.FileMode(0o644)
		if src.added[name] {
			m = mode
		}
		if err := c.Host.WriteFile(ctx, name, []byte(new[name]), m); err != nil {
			return fmt.Sprintf("cannot write %s: %v", name, err), nil
		}
	}
	return runChecked(ctx, c, removals.String())
}

// runChecked runs a script (none when empty) and returns its error output
// when it fails.
func runChecked(ctx context.Context, c *Call, script string) (string, error) {
	if script == "" {
		return "", nil
	}
	out, err := c.Host.Run(ctx, Command{Script: script})
	if err != nil || out.RC == 0 {
		return "", err
	}
	return strings.TrimSpace(out.Stderr + " (exit " + strconv.Itoa(out.RC) + ")"), nil
}

// aptRepoUpdate refreshes apt's cache (apt-get update), with Ansible's
// retries and exponential backoff.
func aptRepoUpdate(ctx context.Context, c *Call) (string, error) {
	retries, maxDelay := c.Args.Int("update_cache_retries"), c.Args.Int("update_cache_retry_max_delay")
	msg := "unknown reason"
	for i := 0; i < max(retries, 1); i++ {
		out, err := c.Host.Run(ctx, Command{Script: "DEBIAN_FRONTEND=noninteractive apt-get update -q", Env: map[string]string{"LANG": "C"}})
		if err != nil {
			return "", err
		}
		if out.RC == 0 {
			return "", nil
		}
		msg = strings.TrimSpace(out.Stderr)
		delay := time.Duration(1<<i) * time.Second
		if limit := time.Duration(maxDelay) * time.Second; delay > limit {
			delay = limit
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(delay):
		}
	}
	return msg, nil
}
