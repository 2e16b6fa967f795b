package report

import (
	"fmt"
	"strings"
)

// FormatInfo describes one output format: its -o name and a line of help.
// The format tables of exec (ExecFormats), check (CheckFormatInfos) and play
// (PlayFormats) are lists of them, the default first; -o validation, --help
// text and shell completion all derive from these tables.
type FormatInfo struct {
	Name string
	Help string // one line; "\n" continues it on the next
}

func (f FormatInfo) info() FormatInfo { return f }

// formatRow is a row of a format table: a FormatInfo and its constructor.
type formatRow interface{ info() FormatInfo }

// infos returns the names and help of a table's rows.
func infos[R formatRow](rows []R) []FormatInfo {
	out := make([]FormatInfo, len(rows))
	for i, r := range rows {
		out[i] = r.info()
	}
	return out
}

// lookupFormat returns the row called name ("" is the first, the default).
// what completes the error message: "" or " for check results".
func lookupFormat[R formatRow](rows []R, name, what string) (R, error) {
	if name == "" {
		return rows[0], nil
	}
	for _, r := range rows {
		if r.info().Name == name {
			return r, nil
		}
	}
	var zero R
	return zero, fmt.Errorf("unknown output format %q%s: use one of %s", name, what, strings.Join(FormatNames(infos(rows)), ", "))
}

// FormatNames returns the names of formats, in order.
func FormatNames(formats []FormatInfo) []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}
	return names
}

// FormatHelp renders formats for a command's --help: "Output (-o):", then
// a line per format, its name in a column, the first marked (default).
func FormatHelp(formats []FormatInfo) string {
	width := 0
	for _, f := range formats {
		width = max(width, len(f.Name))
	}
	var b strings.Builder
	b.WriteString("Output (-o):\n")
	indent := strings.Repeat(" ", 2+width+2)
	for i, f := range formats {
		help := f.Help
		if i == 0 {
			help += " (default)"
		}
		help = strings.ReplaceAll(help, "\n", "\n"+indent)
		fmt.Fprintf(&b, "  %-*s  %s\n", width, f.Name, help)
	}
	return b.String()
}
