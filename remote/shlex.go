package remote

import (
	"errors"
	"strings"
)

// ShlexSplit splits line into words the way Python's shlex.split does,
// which Ansible uses for INI host lines (with comments) and for
// ansible_ssh_common_args and ansible_ssh_extra_args (without): white space
// separates words; single quotes keep everything literally; inside double
// quotes a backslash escapes only '"' and '\'; outside quotes a backslash
// escapes any character; with comments, an unquoted '#' starts a comment
// that ends the line.
func ShlexSplit(line string, comments bool) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord := false // a word has started (possibly empty, as in "")
	emit := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			emit()
		case c == '#' && comments:
			emit()
			return words, nil
		case c == '\\':
			if i+1 >= len(line) {
				return nil, errors.New("no escaped character after the final backslash")
			}
			i++
			word.WriteByte(line[i])
			inWord = true
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("no closing quotation")
			}
			word.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			j, err := readDoubleQuoted(line, i+1, &word)
			if err != nil {
				return nil, err
			}
			i = j
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	emit()
	return words, nil
}

// readDoubleQuoted appends the inside of a double-quoted string starting at
// line[start] to w and returns the offset of the closing quote.
func readDoubleQuoted(line string, start int, w *strings.Builder) (int, error) {
	for i := start; i < len(line); i++ {
		switch c := line[i]; c {
		case '"':
			return i, nil
		case '\\':
			if i+1 >= len(line) {
				return 0, errors.New("no closing quotation")
			}
			if next := line[i+1]; next == '"' || next == '\\' {
				w.WriteByte(next)
				i++
				continue
			}
			w.WriteByte(c)
		default:
			w.WriteByte(c)
		}
	}
	return 0, errors.New("no closing quotation")
}
