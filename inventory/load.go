package inventory

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// Load reads inventories from files and directories, in order, into one
// Inventory. Each file's format is detected (see the package documentation);
// a directory loads every file in it, in name order. Ansible group_vars/ and
// host_vars/ directories next to each inventory (or inside an inventory
// directory) are applied too. With no paths the inventory holds only the
// implicit localhost.
func Load(paths []string, opts LoadOptions) (*Inventory, error) {
	return LoadContext(context.Background(), paths, opts)
}

// LoadContext is Load with a context that bounds dynamic inventories: when
// ctx ends, a running executable and every process it started are killed,
// and the error wraps the context's cause.
func LoadContext(ctx context.Context, paths []string, opts LoadOptions) (*Inventory, error) {
	l := &loader{ctx: ctx, b: newBuilder(opts), opts: opts, split: defaultSplit}
	if l.opts.ScriptTimeout <= 0 {
		l.opts.ScriptTimeout = DefaultScriptTimeout
	}
	var varDirs []string
	for _, p := range paths {
		dir, err := l.loadPath(p)
		if err != nil {
			return nil, err
		}
		if dir != "" && !containsString(varDirs, dir) {
			varDirs = append(varDirs, dir)
		}
	}
	for _, dir := range varDirs {
		if err := l.loadVarsDirs(dir); err != nil {
			return nil, err
		}
	}
	return l.b.finish(paths)
}

// Parse reads one inventory from memory, detecting its format from name's
// extension and the content. Executables are not run: dynamic-inventory JSON
// is recognised by its "_meta" key.
func Parse(name string, data []byte, opts LoadOptions) (*Inventory, error) {
	return parseWith(name, data, opts, defaultSplit)
}

// parseWith is Parse splitting large hosts: blocks as split says.
func parseWith(name string, data []byte, opts LoadOptions, split splitConfig) (*Inventory, error) {
	l := &loader{b: newBuilder(opts), opts: opts, split: split}
	if err := l.parseData(name, data); err != nil {
		return nil, err
	}
	return l.b.finish([]string{name})
}

// loader reads sources into a builder.
type loader struct {
	ctx   context.Context // bounds dynamic inventories (Parse never runs one)
	b     *builder
	opts  LoadOptions
	split splitConfig // when to parse a hosts: block in parts
}

// loadPath loads a file, a directory or a host list and returns the
// directory whose group_vars/host_vars apply ("" for none).
func (l *loader) loadPath(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && strings.Contains(path, ",") {
			return "", l.hostList(path)
		}
		return "", &Error{Pos: Pos{File: path}, Msg: "cannot read inventory: " + unwrapPathError(err),
			Hint: "check the path given with -i"}
	}
	if info.IsDir() {
		return path, l.loadDir(path)
	}
	return filepath.Dir(path), l.loadFile(path, info)
}

// unwrapPathError drops the path repeated by *fs.PathError.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ignoredSuffixes are the file names Ansible skips in inventory directories.
var ignoredSuffixes = []string{"~", ".md", ".txt", ".rst", ".orig", ".bak", ".swp", ".retry", ".cfg", ".pyc", ".pyo", ".rpm"}

// skipEntry reports whether a directory entry is not an inventory.
func skipEntry(name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	lower := strings.ToLower(name)
	for _, s := range ignoredSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// loadDir loads every inventory file of a directory (and its
// subdirectories) in name order, skipping hidden and ignored files and the
// group_vars/host_vars directories.
func (l *loader) loadDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &Error{Pos: Pos{File: dir}, Msg: "cannot read inventory directory: " + unwrapPathError(err)}
	}
	for _, e := range entries {
		name := e.Name()
		if skipEntry(name) {
			continue
		}
		path := filepath.Join(dir, name)
		info, err := os.Stat(path) // follow symlinks
		if err != nil {
			return &Error{Pos: Pos{File: path}, Msg: "cannot read inventory: " + unwrapPathError(err)}
		}
		if info.IsDir() {
			if name == "group_vars" || name == "host_vars" {
				continue
			}
			if err := l.loadDir(path); err != nil {
				return err
			}
			continue
		}
		if err := l.loadFile(path, info); err != nil {
			return err
		}
	}
	return nil
}

// loadFile loads one file: an executable is run as a dynamic inventory,
// anything else is parsed.
func (l *loader) loadFile(path string, info fs.FileInfo) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &Error{Pos: Pos{File: path}, Msg: "cannot read inventory: " + unwrapPathError(err)}
	}
	if isScript(info, data) {
		return l.script(path)
	}
	return l.parseData(path, data)
}

// isScript reports whether a file is a dynamic-inventory program: it is
// executable and starts like a program (#! or a binary header), so static
// files that merely have the execute bit (copied from some file systems)
// are still parsed.
func isScript(info fs.FileInfo, data []byte) bool {
	if info.Mode()&0o111 == 0 {
		return false
	}
	return bytes.HasPrefix(data, []byte("#!")) || bytes.HasPrefix(data, []byte("\x7fELF")) || bytes.HasPrefix(data, []byte("MZ"))
}

// script runs a dynamic inventory with --list (and --host NAME per host when
// its output has no _meta.hostvars), all its runs within ScriptTimeout.
func (l *loader) script(path string) error {
	ctx, cancel := context.WithTimeoutCause(l.ctx, l.opts.ScriptTimeout, errScriptTimeout)
	defer cancel()
	out, err := runScript(ctx, path, l.opts, "--list")
	if err != nil {
		return err
	}
	l.b.beginSource(path, FormatDynamic)
	return loadDynamicJSON(l.b, path, out, func(host string) ([]byte, error) {
		return runScript(ctx, path, l.opts, "--host", host)
	})
}

// hostList loads "web1,web2:2222," (Ansible's host list): ungrouped hosts.
func (l *loader) hostList(list string) error {
	l.b.beginSource(list, FormatHostList)
	pos := Pos{File: "host list"}
	for entry := range strings.SplitSeq(list, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		names, port, err := expandAnsibleHost(entry, l.b.maxHosts)
		if err != nil {
			return errorf(pos, "%q: %v", list, err)
		}
		for _, n := range names {
			hi, err := l.b.host(n, pos, true)
			if err != nil {
				return err
			}
			l.b.addMember(l.b.groups[1], hi)
			if port != 0 {
				if err := l.b.ansibleHostVar(hi, "ansible_port", port, pos, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// parseData detects the format of one file's content and loads it.
func (l *loader) parseData(name string, data []byte) error {
	if s := splitHosts(name, data, l.split); s != nil {
		l.b.beginSource(name, FormatRemotectl)
		return loadRemotectl(l.b, newYAMLReader(name, len(data), false), s.root, s)
	}
	d := detect(name, data)
	if d.err != nil {
		return d.err
	}
	l.b.beginSource(name, d.format)
	switch d.format {
	case FormatRemotectl:
		if d.root == nil {
			return nil
		}
		return loadRemotectl(l.b, newYAMLReader(name, len(data), false), d.root, nil)
	case FormatAnsibleYAML:
		r := newYAMLReader(name, len(data), true)
		r.decrypt = l.opts.Decrypt
		return loadAnsibleYAML(l.b, r, d.root)
	case FormatDynamic:
		return loadDynamicJSON(l.b, name, data, nil)
	}
	err := loadINI(l.b, name, data)
	if err != nil && looksLikeYAML(data) {
		// Neither format fits; the YAML reading explains it better.
		if d.yamlErr != nil {
			return d.yamlErr
		}
		if d.root != nil {
			if yerr := loadAnsibleYAML(newBuilder(l.opts), newYAMLReader(name, len(data), true), d.root); yerr != nil {
				return yerr
			}
		}
	}
	return err
}

// detection is the outcome of format detection.
type detection struct {
	format  Format
	root    *yaml.Node // the YAML root, when the content is YAML
	yamlErr error      // why the content is not YAML, when it is not
	err     error      // the content cannot be an inventory
}

// detect works out the format of a file:
//   - ".ini" files are Ansible INI;
//   - YAML (and JSON) whose top level is a mapping: with a "_meta" key it is
//     dynamic-inventory JSON; with any of hosts, groups, defaults it is ours;
//     if every value is a mapping (or empty) it is Ansible YAML;
//   - anything else is Ansible INI, except that ".yaml", ".yml" and ".json"
//     files must be YAML.
func detect(name string, data []byte) detection {
	ext := strings.ToLower(filepath.Ext(name))
	yamlExt := ext == ".yaml" || ext == ".yml" || ext == ".json"
	if ext == ".ini" {
		return detection{format: FormatAnsibleINI}
	}
	root, err := parseYAML(name, data)
	if err != nil {
		if yamlExt {
			return detection{err: err}
		}
		return detection{format: FormatAnsibleINI, yamlErr: err}
	}
	if root == nil {
		if yamlExt {
			return detection{format: FormatRemotectl}
		}
		return detection{format: FormatAnsibleINI}
	}
	if f, ok := yamlFormat(root); ok {
		return detection{format: f, root: root}
	}
	if yamlExt {
		if root.Kind == yaml.MappingNode {
			// Report what is wrong in Ansible terms (a group that is not a mapping).
			return detection{format: FormatAnsibleYAML, root: root}
		}
		return detection{err: errorf(Pos{File: name, Line: root.Line, Col: root.Column},
			"a YAML inventory must be a mapping, got %s", kindName(root)).
			withHint("start with hosts:, groups: and defaults: (remotectl), or with all: (Ansible)")}
	}
	return detection{format: FormatAnsibleINI, root: root}
}

// yamlFormat classifies a YAML root mapping.
func yamlFormat(root *yaml.Node) (Format, bool) {
	if root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	if root.Kind != yaml.MappingNode {
		return "", false
	}
	allGroups := true
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch k := root.Content[i].Value; {
		case k == "_meta":
			return FormatDynamic, true
		case containsString(topLevelKeys, k):
			return FormatRemotectl, true
		}
		v := root.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if v.Kind != yaml.MappingNode && !yamlnode.IsNull(v) {
			allGroups = false
		}
	}
	if allGroups {
		return FormatAnsibleYAML, true
	}
	return "", false
}

// yamlKeyLineRE matches a first line that reads as a YAML mapping key or
// document marker, not as an INI section or host line.
var yamlKeyLineRE = regexp.MustCompile(`^(---|- |[^\[\s=#;][^=]*:(\s|$))`)

// looksLikeYAML reports whether the first significant line looks like YAML.
func looksLikeYAML(data []byte) bool {
	for line := range bytes.Lines(data) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		return yamlKeyLineRE.Match(t)
	}
	return false
}

// containsString reports whether list holds s.
func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ---- group_vars / host_vars ----

// varsExtensions are the file names Ansible reads in group_vars/host_vars.
var varsExtensions = []string{"", ".yml", ".yaml", ".json"}

// loadVarsDirs applies dir/group_vars and dir/host_vars, as Ansible's
// host_group_vars plugin does: "group_vars/NAME(.yml|.yaml|.json)" or every
// file under "group_vars/NAME/" sets variables of group NAME (and likewise for
// hosts); names matching no group or host are ignored. These variables take
// precedence over those written in the inventory files.
func (l *loader) loadVarsDirs(dir string) error {
	for _, kind := range []string{"group_vars", "host_vars"} {
		files, err := varsFiles(filepath.Join(dir, kind))
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := l.loadVarsFile(kind, f.entity, f.path); err != nil {
				return err
			}
		}
	}
	return nil
}

// varsFile is a variables file and the group or host it is for.
type varsFile struct {
	entity string
	path   string
}

// varsFiles lists the variables files of a group_vars or host_vars directory.
func varsFiles(dir string) ([]varsFile, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Pos: Pos{File: dir}, Msg: "cannot read variables directory: " + unwrapPathError(err)}
	}
	var out []varsFile
	for _, e := range entries {
		name := e.Name()
		if skipEntry(name) {
			continue
		}
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err != nil {
			return nil, &Error{Pos: Pos{File: path}, Msg: "cannot read variables: " + unwrapPathError(err)}
		}
		if info.IsDir() {
			inner, err := filesUnder(path)
			if err != nil {
				return nil, err
			}
			for _, p := range inner {
				out = append(out, varsFile{entity: name, path: p})
			}
			continue
		}
		ext := filepath.Ext(name)
		if !containsString(varsExtensions, ext) {
			continue
		}
		out = append(out, varsFile{entity: strings.TrimSuffix(name, ext), path: path})
	}
	return out, nil
}

// filesUnder lists the variables files under dir, recursively, in name order.
func filesUnder(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && skipEntry(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && containsString(varsExtensions, filepath.Ext(d.Name())) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		return nil, &Error{Pos: Pos{File: dir}, Msg: "cannot read variables: " + err.Error()}
	}
	sort.Strings(out)
	return out, nil
}

// vaultHeader starts files encrypted with ansible-vault.
var vaultHeader = []byte("$ANSIBLE_VAULT;")

// decryptVault decrypts vault content found at pos with decrypt; nil
// decrypt refuses it with a hint.
func decryptVault(pos Pos, data []byte, decrypt func([]byte) ([]byte, error)) ([]byte, error) {
	if decrypt == nil {
		return nil, errorf(pos, "the content is encrypted with Ansible Vault and no vault password was given").
			withHint("remotectl play decrypts it with --vault-password-file FILE (or --vault-id); other commands cannot")
	}
	plain, err := decrypt(data)
	if err != nil {
		return nil, errorf(pos, "cannot decrypt the vault content: %v", err).withHint("check the vault password (--vault-password-file, --vault-id)")
	}
	return plain, nil
}

// loadVarsFile applies one group_vars or host_vars file.
func (l *loader) loadVarsFile(kind, entity, path string) error {
	var group *groupDef
	hi, isHost := int32(-1), false
	if kind == "group_vars" {
		g, ok := l.b.lookupGroup(entity)
		if !ok {
			return nil
		}
		group = g
	} else {
		if hi, isHost = l.b.hostIdx[entity]; !isHost {
			return nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return &Error{Pos: Pos{File: path}, Msg: "cannot read variables: " + unwrapPathError(err)}
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), vaultHeader) {
		if data, err = decryptVault(Pos{File: path}, bytes.TrimSpace(data), l.opts.Decrypt); err != nil {
			return err
		}
	}
	root, err := parseYAML(path, data)
	if err != nil || root == nil {
		return err
	}
	r := newYAMLReader(path, len(data), true)
	r.decrypt = l.opts.Decrypt
	ps, err := r.pairs(root, words("a variables file"))
	if err != nil {
		return err
	}
	for _, p := range ps {
		v, err := r.value(p.val)
		if err != nil {
			return err
		}
		if group != nil {
			err = l.b.ansibleGroupVar(group, p.name, v, r.pos(p.key))
		} else {
			err = l.b.ansibleHostVar(hi, p.name, v, r.pos(p.key), true)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
