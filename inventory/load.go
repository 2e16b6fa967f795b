package inventory

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

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
		if dir != "" {
			varDirs = append(varDirs, dir) // twice if given twice, as Ansible
		}
	}
	if opts.PlaybookDir != "" {
		// After the inventories' directories: the layering of their
		// variables then follows Ansible's precedence.
		varDirs = append(varDirs, opts.PlaybookDir)
	}
	for i, dir := range varDirs {
		if err := l.loadVarsDirs(i, dir); err != nil {
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
	data, err := l.decryptFile(name, data)
	if err != nil {
		return nil, err
	}
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

// ignoredSuffixes are the names Ansible skips in inventory directories:
// the defaults of INVENTORY_IGNORE_EXTS (REJECT_EXTS plus .orig, .ini,
// .cfg, .retry), compared as Ansible does, case-sensitively. So the
// configuration next to a dynamic inventory (ec2.py and ec2.ini) is not
// read as an inventory.
var ignoredSuffixes = []string{".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"}

// ignoredNames are the entries Ansible always skips in inventory directories.
var ignoredNames = []string{"group_vars", "host_vars", "vars_plugins"}

// skipEntry reports whether an entry of an inventory directory is not an
// inventory: hidden, one of ignoredNames, or with an ignored suffix.
func skipEntry(name string) bool {
	if strings.HasPrefix(name, ".") || containsString(ignoredNames, name) {
		return true
	}
	for _, s := range ignoredSuffixes {
		if strings.HasSuffix(name, s) {
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
	if data, err = l.decryptFile(path, data); err != nil {
		return err
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
		return loadAnsibleYAML(l.b, l.ansibleReader(name, data), d.root)
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
			if yerr := loadAnsibleYAML(newBuilder(l.opts), l.ansibleReader(name, data), d.root); yerr != nil {
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
// host_group_vars plugin does: for each group (host), the first of
// "group_vars/NAME" (a file, or a directory whose files are all read),
// NAME.yml, NAME.yaml and NAME.json sets variables of group (host) NAME;
// files naming no group or host are ignored. index is the directory's rank
// among those read: group variables of later directories win.
func (l *loader) loadVarsDirs(index int, dir string) error {
	for _, kind := range []string{"group_vars", "host_vars"} {
		sub := filepath.Join(dir, kind)
		present, err := listNames(sub)
		if err != nil {
			return err
		}
		if len(present) == 0 {
			continue
		}
		var names []string
		if kind == "group_vars" {
			for _, g := range l.b.groups {
				names = append(names, g.name)
			}
		} else {
			for _, h := range l.b.hosts {
				names = append(names, h.name)
			}
		}
		for _, entity := range names {
			if strings.HasPrefix(entity, string(filepath.Separator)) {
				continue // as Ansible: no chroot-like names
			}
			name := firstVarsName(entity, present)
			if name == "" {
				continue
			}
			files, err := varsFiles(filepath.Join(sub, name))
			if err != nil {
				return err
			}
			for _, f := range files {
				if err := l.loadVarsFile(index, kind, entity, f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// listNames returns the names in a directory; none if it does not exist
// or is not a directory.
func listNames(dir string) (map[string]bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil // as Ansible, which skips a group_vars that is a file
	}
	if err != nil {
		return nil, &Error{Pos: Pos{File: dir}, Msg: "cannot read variables directory: " + unwrapPathError(err)}
	}
	present := make(map[string]bool, len(entries))
	for _, e := range entries {
		present[e.Name()] = true
	}
	return present, nil
}

// varsFiles returns the files a group_vars or host_vars entry stands for:
// itself, or the files under it when it is a directory.
func varsFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Pos: Pos{File: path}, Msg: "cannot read variables: " + unwrapPathError(err)}
	}
	if info.IsDir() {
		return filesUnder(path)
	}
	return []string{path}, nil
}

// firstVarsName returns the name Ansible reads for entity: the first of
// NAME, NAME.yml, NAME.yaml, NAME.json present.
func firstVarsName(entity string, present map[string]bool) string {
	for _, ext := range varsExtensions {
		if present[entity+ext] {
			return entity + ext
		}
	}
	return ""
}

// filesUnder lists the variables files under dir as Ansible does: each
// directory in name order, subdirectories (without an extension) where
// they sort, skipping hidden names, names ending in "~" and files whose
// extension is not one of varsExtensions.
func filesUnder(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &Error{Pos: Pos{File: dir}, Msg: "cannot read variables: " + unwrapPathError(err)}
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err != nil {
			return nil, &Error{Pos: Pos{File: path}, Msg: "cannot read variables: " + unwrapPathError(err)}
		}
		ext := filepath.Ext(name)
		switch {
		case info.IsDir() && ext == "":
			inner, err := filesUnder(path)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
		case info.Mode().IsRegular() && containsString(varsExtensions, ext):
			out = append(out, path)
		}
	}
	return out, nil
}

// vaultHeader starts files encrypted with ansible-vault.
var vaultHeader = []byte("$ANSIBLE_VAULT;")

// vaultHint tells how to give remotectl the vault password.
const vaultHint = "pass the vault password with --vault-password-file FILE (or --vault-id)"

// decryptFile returns the content of a file, decrypted with
// LoadOptions.Decrypt when it is encrypted with Ansible Vault.
func (l *loader) decryptFile(path string, data []byte) ([]byte, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(data), vaultHeader) {
		return data, nil
	}
	if l.opts.Decrypt == nil {
		return nil, errorf(Pos{File: path}, "the file is encrypted with Ansible Vault and no vault password was given").
			withHint(vaultHint)
	}
	plain, err := l.opts.Decrypt(bytes.TrimSpace(data))
	if err != nil {
		return nil, errorf(Pos{File: path}, "cannot decrypt this Ansible Vault file: %v", err).
			withHint("check the vault password (--vault-password-file, --vault-id)")
	}
	return plain, nil
}

// ansibleReader returns a reader of Ansible YAML data, which Ansible reads
// as JSON when it is JSON, decrypting inline !vault values.
func (l *loader) ansibleReader(file string, data []byte) *yamlReader {
	r := newAnsibleReader(file, data)
	r.decrypt = l.opts.Decrypt
	r.ordered = l.opts.OrderedDicts
	return r
}

// loadVarsFile applies one group_vars or host_vars file.
func (l *loader) loadVarsFile(dir int, kind, entity, path string) error {
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
	if data, err = l.decryptFile(path, data); err != nil {
		return err
	}
	root, err := parseYAML(path, data)
	if err != nil || root == nil {
		return err
	}
	r := l.ansibleReader(path, data)
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
			err = l.b.groupFileVar(group, dir, p.name, v, r.pos(p.key))
		} else {
			err = l.b.ansibleHostVar(hi, p.name, v, r.pos(p.key), true)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
