package module

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// aptRepositoryModule is ansible.builtin.apt_repository without PPAs and
// keys: a one-line source added to (or removed from) the sources lists,
// as its SourcesList does (a disabled copy is enabled, a new one goes to
// sources.list.d/<filename>.list), the files rewritten in its normalised
// form, then apt-get update.
func aptRepositoryModule() *Module {
	return &Module{Name: "apt_repository", Collection: "ansible.builtin", Check: CheckFull, Diff: true,
		Params: []Param{
			{Name: "repo", Type: Str, Required: true},
			{Name: "state", Type: Str, Default: "present", Choices: []string{"absent", "present"}},
			{Name: "mode", Type: Mode},
			{Name: "update_cache", Aliases: []string{"update-cache"}, Type: Bool, Default: true},
			{Name: "update_cache_retries", Type: Int, Default: 5},
			{Name: "update_cache_retry_max_delay", Type: Int, Default: 12},
			{Name: "filename", Type: Str},
		},
		Run: runAptRepository,
	}
}

// aptSource is one line of a sources list, as SourcesList._parse reads it.
type aptSource struct {
	valid, enabled  bool
	source, comment string
}

// aptSourceFile is a sources list: its path, text and lines.
type aptSourceFile struct {
	path, text string
	lines      []aptSource
	isNew      bool
}

func parseAptSourceLine(line string) aptSource {
	s := aptSource{enabled: true}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		s.enabled = false
		line = line[1:]
	}
	if i := strings.IndexByte(line, '#'); i > 0 {
		s.comment = strings.TrimSpace(line[i+1:])
		line = line[:i]
	}
	s.source = strings.TrimSpace(line)
	if chunks := strings.Fields(s.source); len(chunks) > 0 && (chunks[0] == "deb" || chunks[0] == "deb-src") {
		s.valid = true
		s.source = strings.Join(chunks, " ")
	}
	return s
}

// dump is SourcesList.dump of one file.
func (f *aptSourceFile) dump() string {
	var b strings.Builder
	for _, l := range f.lines {
		if !l.enabled {
			b.WriteString("# ")
		}
		b.WriteString(l.source)
		if l.comment != "" {
			b.WriteString(" # " + l.comment)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// aptSuggestFilename is _suggest_filename.
func aptSuggestFilename(source, filename string) string {
	if filename != "" {
		return filename + ".list"
	}
	line := regexp.MustCompile(`\[[^\]]+\]`).ReplaceAllString(source, "")
	line = regexp.MustCompile(`\w+://`).ReplaceAllString(line, "")
	var parts []string
	for _, p := range strings.Fields(line) {
		if p != "deb" && p != "deb-src" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return ".list"
	}
	first := parts[0]
	if i := strings.IndexByte(first, '@'); i >= 0 {
		first = first[i+1:]
	}
	return strings.Join(strings.Fields(regexp.MustCompile(`[^a-zA-Z0-9]`).ReplaceAllString(first, " ")), "_") + ".list"
}

// aptRepoApply is add_source / remove_source on the files; it returns
// the file a new source went to ("" when none).
func aptRepoApply(files []*aptSourceFile, repo, state, filename, partsDir string) (*aptSourceFile, error) {
	src := parseAptSourceLine(repo)
	if !src.valid || !src.enabled {
		return nil, fmt.Errorf("Invalid repository string: %s", strings.TrimSpace(repo))
	}
	if state == "absent" {
		for _, f := range files {
			var keep []aptSource
			for _, l := range f.lines {
				if !(l.valid && l.enabled && l.source == src.source) {
					keep = append(keep, l)
				}
			}
			f.lines = keep
		}
		return nil, nil
	}
	found := false
	for _, f := range files {
		for i := range f.lines {
			if f.lines[i].valid && f.lines[i].source == src.source {
				f.lines[i].enabled = true
				found = true
			}
		}
	}
	if found {
		return nil, nil
	}
	name := aptSuggestFilename(src.source, filename)
	path := name
	if !strings.Contains(name, "/") {
		path = strings.TrimSuffix(partsDir, "/") + "/" + name
	}
	for _, f := range files {
		if f.path == path {
			f.lines = append(f.lines, aptSource{valid: true, enabled: true, source: src.source})
			return f, nil
		}
	}
	f := &aptSourceFile{path: path, isNew: true, lines: []aptSource{{valid: true, enabled: true, source: src.source}}}
	return f, nil
}

func runAptRepository(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	repo, state := a.Str("repo"), a.Str("state")
	if strings.TrimSpace(repo) == "" {
		return Failed("Please set argument 'repo' to a non-empty value"), nil
	}
	if m := a.Str("mode"); m != "" {
		if _, err := strconv.ParseUint(m, 8, 32); err != nil {
			return Failed("remotectl's apt_repository takes an octal mode, not %q", m), nil
		}
	}
	if strings.HasPrefix(repo, "ppa:") {
		return Failed("remotectl's apt_repository does not add PPAs (they need Launchpad's API and a signing key): write the deb line with its signed-by key instead"), nil
	}
	out, err := runScript(ctx, c, `eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
printf '@@dirs\t%s\t%s\n' "$SL" "$SP"
for f in "$SL" "$SP"*.list; do [ -f "$f" ] && { printf '@@file\t%s\n' "$f"; cat -- "$f"; printf '\n@@end\n'; }; done
:
`, nil)
	if err != nil {
		return nil, err
	}
	_, partsDir, files := parseAptSources(out.Stdout)
	before := map[string]string{}
	for _, f := range files {
		if len(f.lines) > 0 {
			before[f.path] = f.dump()
		}
	}
	added, err := aptRepoApply(files, repo, state, a.Str("filename"), partsDir)
	if err != nil {
		return Failed("%v", err), nil
	}
	if added != nil && added.isNew {
		files = append(files, added)
	}
	after := map[string]string{}
	for _, f := range files {
		if len(f.lines) > 0 {
			after[f.path] = f.dump()
		}
	}
	changed := !mapsEqual(before, after)
	res := Result{"changed": changed, "repo": repo, "state": state, "diff": map[string]any{}}
	if changed && c.Diff {
		res["diff"] = aptRepoDiff(before, after)
	}
	if !changed || c.Check {
		return res, nil
	}
	if msg, err := aptRepoSave(ctx, c, files, after); err != nil || msg != "" {
		if err != nil {
			return nil, err
		}
		return Failed("%s", msg), nil
	}
	if a.Bool("update_cache") {
		o, err := runScript(ctx, c, aptUpdateScript(max(a.Int("update_cache_retries"), 1), a.Int("update_cache_retry_max_delay")), aptEnv())
		if err != nil {
			return nil, err
		}
		if o.RC != 0 {
			if _, err := aptRepoSave(ctx, c, files, before); err != nil { // revert_sources_list
				return nil, err
			}
			return Failed("Failed to update apt cache: %s", strings.TrimSpace(o.Stdout+o.Stderr)), nil
		}
	}
	return res, nil
}

// aptUpdateScript runs apt-get update with apt.py's retries.
func aptUpdateScript(retries, maxDelay int) string {
	return fmt.Sprintf(`i=0
while [ $i -lt %d ]; do
  if err=$(apt-get update -q 2>&1 >/dev/null); then exit 0; fi
  d=$((1 << i)); [ $d -gt %d ] && d=%d; sleep $d; i=$((i + 1))
done
printf '%%s' "$err"; exit 1
`, retries, maxDelay, maxDelay)
}

// parseAptSources reads the probe: the default list, the parts directory
// and every file.
func parseAptSources(out string) (string, string, []*aptSourceFile) {
	var defaultFile, partsDir string
	var files []*aptSourceFile
	for out != "" {
		line, rest, _ := strings.Cut(out, "\n")
		out = rest
		f := tabFields(line)
		switch {
		case f[0] == "@@dirs" && len(f) == 3:
			defaultFile, partsDir = f[1], f[2]
		case f[0] == "@@file" && len(f) == 2:
			j := strings.Index(out, "\n@@end\n")
			if j < 0 {
				return defaultFile, partsDir, files
			}
			text := out[:j]
			out = out[j+len("\n@@end\n"):]
			sf := &aptSourceFile{path: f[1], text: text}
			for _, l := range splitKeepNL(text) {
				sf.lines = append(sf.lines, parseAptSourceLine(l))
			}
			files = append(files, sf)
		}
	}
	return defaultFile, partsDir, files
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

// aptRepoDiff is the module's diff: one entry per file.
func aptRepoDiff(before, after map[string]string) []any {
	names := map[string]bool{}
	for k := range before {
		names[k] = true
	}
	for k := range after {
		names[k] = true
	}
	var sorted []string
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var diff []any
	for _, f := range sorted {
		bh, ah := f, f
		if _, ok := before[f]; !ok {
			bh = "/dev/null"
		}
		if _, ok := after[f]; !ok {
			ah = "/dev/null"
		}
		diff = append(diff, map[string]any{"before": before[f], "after": after[f], "before_header": bh, "after_header": ah})
	}
	return diff
}

// aptRepoSave is SourcesList.save: every file written in its normalised
// form (only those whose text differs), emptied files removed, a new file
// given mode (0644 by default).
func aptRepoSave(ctx context.Context, c *Call, files []*aptSourceFile, texts map[string]string) (string, error) {
	var b strings.Builder
	b.WriteString("set -e\n")
	for _, f := range files {
		text, keep := texts[f.path]
		switch {
		case !keep && !f.isNew:
			fmt.Fprintf(&b, "rm -f -- %s\n", Quote(f.path))
		case keep && (f.isNew || text != f.text):
			fmt.Fprintf(&b, "mkdir -p -- %s\n", Quote(f.path[:max(strings.LastIndexByte(f.path, '/'), 1)]))
			writeHereDoc(&b, f.path, text)
			if f.isNew {
				mode := "0644"
				if m := c.Args.Str("mode"); m != "" {
					mode = m
				}
				fmt.Fprintf(&b, "chmod %s %s\n", mode, Quote(f.path))
			}
		}
	}
	o, err := runScript(ctx, c, b.String(), nil)
	if err != nil || o.RC == 0 {
		return "", err
	}
	return strings.TrimSpace(o.Stderr), nil
}
