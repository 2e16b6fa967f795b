package yamlnode

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FileType is what the files of one kind (check files, playbooks) say in the
// problems found in them, and the error type they report them as.
type FileType struct {
	// Plural names the files in messages: "merge keys (<<) are not
	// supported in check files".
	Plural string
	// OneDocumentHint is the hint for a second YAML document in a file.
	OneDocumentHint string
	// QuoteHint is the hint for the syntax errors that an unquoted "{" or
	// ": " in a value causes; it shows how the files quote templates.
	QuoteHint string
	// Wrap turns each problem into the package's error type, typically by
	// conversion: func(e *yamlnode.Error) error { return (*ParseError)(e) }.
	// nil reports the *Error itself.
	Wrap func(*Error) error
}

// wrap returns e as the file type's error.
func (ft *FileType) wrap(e *Error) error {
	if ft.Wrap == nil {
		return e
	}
	return ft.Wrap(e)
}

// ParseFile parses data, read from file, as the one YAML document a file of
// this type is, and returns its top node; nil means the document is empty.
// A second document, even an empty one, is an error, and so is invalid
// YAML, reworded with its line.
func (ft *FileType) ParseFile(file string, data []byte) (*yaml.Node, error) {
	root, next, err := ParseDocument(data)
	switch {
	case err != nil:
		return nil, ft.wrap(syntaxError(file, err, ft.QuoteHint))
	case next != nil:
		return nil, ft.wrap(&Error{Pos: Position(file, next), Msg: "a second YAML document starts here", Hint: ft.OneDocumentHint})
	}
	return root, nil
}

// ParseDocument parses the first YAML document of data.
//
// root is that document's top node, nil when data holds no document or the
// document is empty (null). next is the node of a second document when data
// has one (its Line and Column are where it starts, its Content[0] is its top
// node): files of remotectl are one document each, and callers reject a
// second one in their own words. err is yaml.v3's error when either document
// is not valid YAML; SyntaxError and SplitSyntaxError reword it.
func ParseDocument(data []byte) (root, next *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, nil, err
	case len(second.Content) > 0:
		next = &second
	}
	if len(doc.Content) > 0 && !IsNull(doc.Content[0]) {
		root = doc.Content[0]
	}
	return root, next, nil
}

// yamlLineRE matches yaml.v3's "yaml: line N: problem" errors.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SplitSyntaxError splits a yaml.v3 error into the line it names and the
// problem, without the "yaml: line N: " prefix. line is 0 when the error
// names no line (yaml.v3 numbers lines from 1 and leaves the line out
// otherwise).
func SplitSyntaxError(err error) (line int, msg string) {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, strings.TrimPrefix(err.Error(), "yaml: ")
	}
	line, _ = strconv.Atoi(m[1])
	return line, m[2]
}

// syntaxError turns a yaml.v3 error into an *Error at "file:line" saying
// "invalid YAML: ...". An error without a line is put on line 1. yaml.v3
// reports its "did not find expected ..." errors one line early, counted
// from 0 at the start of the enclosing block: those are moved to that line
// and say so.
//
// quoteHint is the hint for the errors an unquoted "{" or ": " in a value
// causes; the others ask to check the indentation and quoting.
func syntaxError(file string, err error, quoteHint string) *Error {
	line, msg := SplitSyntaxError(err)
	switch {
	case line == 0:
		line = 1
	case strings.HasPrefix(msg, "did not find expected"):
		line++
		msg += " (in the block that starts on this line)"
	}
	hint := "check the indentation and quoting around this line"
	if strings.Contains(msg, "found character that cannot start any token") || strings.Contains(msg, "mapping values are not allowed") {
		hint = quoteHint
	}
	return &Error{Pos: file + ":" + strconv.Itoa(line), Msg: "invalid YAML: " + msg, Hint: hint}
}
