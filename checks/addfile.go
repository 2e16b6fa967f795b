package checks

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/remotectl/remotectl/internal/yamlnode"
)

// AddToFile writes entries into the check file path as goss add does:
// each under its type, replacing a check of the same id, the file created
// when it does not exist. Comments and the order of what is there stay
// (the YAML is read and written back, so its layout may change; the
// indentation stays, 4 spaces as goss writes for a new file). A file whose
// templates wrap YAML is refused, and what is written is parsed first.
func AddToFile(path string, entries []*Entry) error {
	data, err := os.ReadFile(path)
	mode := fs.FileMode(0o644)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading %s: %w", path, unwrapErr(err))
	default:
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
	}
	if wholeFileTemplate(data) {
		return &ParseError{Pos: path, Msg: "the file's templates wrap YAML, which cannot be written back",
			Hint: "add to another file (-F new.yaml) and include it from this one with gossfile:"}
	}
	out, err := mergeEntries(path, data, entries)
	if err != nil {
		return err
	}
	if _, err := Parse(path, out); err != nil {
		return fmt.Errorf("the file would not be valid, it is left as it was: %w", err)
	}
	return writeFileAtomic(path, out, mode)
}

// EntriesYAML is the YAML of entries on their own, as AddToFile writes
// them into a new file.
func EntriesYAML(entries []*Entry) ([]byte, error) {
	return mergeEntries("", nil, entries)
}

// mergeEntries returns data (a check file, maybe empty) with entries set.
func mergeEntries(path string, data []byte, entries []*Entry) ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	if len(bytes.TrimSpace(data)) > 0 {
		var parsed yaml.Node
		if err := yaml.Unmarshal(data, &parsed); err != nil {
			return nil, &ParseError{Pos: path, Msg: "not YAML: " + err.Error(), Hint: "fix the file, or add to another one (-F)"}
		}
		if len(parsed.Content) == 1 && parsed.Content[0].Kind == yaml.MappingNode {
			doc = &parsed
		} else if len(parsed.Content) != 0 {
			return nil, &ParseError{Pos: path, Msg: "the file's top level is not a mapping of resource types", Hint: "add to another file (-F)"}
		}
	}
	root := doc.Content[0]
	for _, e := range entries {
		typ := mappingValue(root, e.Type, typeBefore)
		if typ.Kind != yaml.MappingNode {
			*typ = yaml.Node{Kind: yaml.MappingNode}
		}
		*mappingValue(typ, e.ID, func(a, b string) bool { return a < b }) = *entryNode(e)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(indentOf(data))
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// mappingValue returns the value of key in mapping m, added (null) when
// m has no such key: before the first key it sorts before (less), as goss
// writes a file (types in its order, ids sorted), else at the end.
func mappingValue(m *yaml.Node, key string, less func(a, b string) bool) *yaml.Node {
	at := len(m.Content)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
		if at == len(m.Content) && less(key, m.Content[i].Value) {
			at = i
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: yamlnode.TagStr, Value: key}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
	m.Content = slices.Insert(m.Content, at, k, v)
	return v
}

// gossTypeOrder is the order goss writes resource types in (GossConfig).
var gossTypeOrder = []string{"file", "package", "addr", "port", "service", "user", "group", "command",
	"dns", "process", "gossfile", "kernel-param", "mount", "interface", "http", "matching", "registry"}

// typeBefore reports whether goss writes type a before type b; a type it
// does not know (tls) goes last.
func typeBefore(a, b string) bool {
	i, j := slices.Index(gossTypeOrder, a), slices.Index(gossTypeOrder, b)
	return i >= 0 && (j < 0 || i < j)
}

// entryNode is an entry's properties as a YAML mapping.
func entryNode(e *Entry) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, p := range e.Props {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yamlnode.TagStr, Value: p.Name}, valueNode(p.Value))
	}
	return m
}

func valueNode(v any) *yaml.Node {
	switch x := v.(type) {
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yamlnode.TagBool, Value: strconv.FormatBool(x)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yamlnode.TagInt, Value: strconv.FormatInt(x, 10)}
	case []string:
		s := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			s.Content = append(s.Content, valueNode(e))
		}
		return s
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yamlnode.TagStr, Value: fmt.Sprint(v)}
}

// indentOf is the indentation data uses (its first indented line), else
// goss's 4.
func indentOf(data []byte) int {
	for _, l := range strings.Split(string(data), "\n") {
		t := strings.TrimLeft(l, " ")
		if n := len(l) - len(t); n > 0 && t != "" && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "- ") {
			if n >= 2 && n <= 8 {
				return n
			}
			break
		}
	}
	return 4
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, renamed over it.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapErr(err))
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Chmod(mode), f.Close()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, unwrapErr(err))
	}
	return nil
}

// unwrapErr drops the operation and path of a *fs.PathError.
func unwrapErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
