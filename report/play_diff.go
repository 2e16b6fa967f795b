package report

import (
	"fmt"
	"strings"
)

// maxDiffLines bounds the lines of each side a diff is computed for.
const maxDiffLines = 5000

// writeDiffs writes a result's diff (diff mode) as unified diffs, as
// ansible-playbook --diff: d is {before, after, before_header,
// after_header} or a list of them; other shapes (prepared text) are
// written as they are.
func writeDiffs(b *strings.Builder, d any) {
	switch x := d.(type) {
	case nil:
	case []any:
		for _, item := range x {
			writeDiffs(b, item)
		}
	case map[string]any:
		if prepared, ok := x["prepared"].(string); ok {
			writeLines(b, prepared)
			return
		}
		before, _ := x["before"].(string)
		after, _ := x["after"].(string)
		if before == after {
			return
		}
		bh, _ := x["before_header"].(string)
		ah, _ := x["after_header"].(string)
		if bh == "" {
			bh = "before"
		}
		if ah == "" {
			ah = "after"
		}
		writeLines(b, UnifiedDiff(before, after, bh, ah))
	}
}

// writeLines writes text line by line, each terminal-safe (Printable would
// escape the line breaks too: the diff on one line, the next TASK header
// glued to its end), the last line ended.
func writeLines(b *strings.Builder, text string) {
	for _, line := range strings.SplitAfter(strings.TrimSuffix(text, "\n"), "\n") {
		b.WriteString(Printable(strings.TrimSuffix(line, "\n")))
		b.WriteByte('\n')
	}
}

// UnifiedDiff is the unified diff (3 lines of context) of two texts.
func UnifiedDiff(before, after, beforeHeader, afterHeader string) string {
	a, c := splitKeep(before), splitKeep(after)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", beforeHeader, afterHeader)
	if len(a) > maxDiffLines || len(c) > maxDiffLines {
		out.WriteString("(the diff is too large to show)\n")
		return out.String()
	}
	ops := lineOps(a, c)
	const context = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-context, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*context || run == len(ops) {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		writeHunk(&out, ops[start:end])
		i = end
	}
	return out.String()
}

type lineOp struct {
	kind       byte // ' ', '-', '+'
	text       string
	aLine, cLn int // 1-based line numbers in each side before this op
}

// lineOps is the edit script from a to c (longest common subsequence).
func lineOps(a, c []string) []lineOp {
	n, m := len(a), len(c)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == c[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []lineOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == c[j]:
			ops = append(ops, lineOp{' ', a[i], i + 1, j + 1})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, lineOp{'-', a[i], i + 1, j + 1})
			i++
		default:
			ops = append(ops, lineOp{'+', c[j], i + 1, j + 1})
			j++
		}
	}
	return ops
}

// writeHunk writes one hunk with its @@ header.
func writeHunk(out *strings.Builder, ops []lineOp) {
	aStart, cStart := ops[0].aLine, ops[0].cLn
	var aN, cN int
	for _, op := range ops {
		if op.kind != '+' {
			aN++
		}
		if op.kind != '-' {
			cN++
		}
	}
	if aN == 0 {
		aStart--
	}
	if cN == 0 {
		cStart--
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aN), hunkRange(cStart, cN))
	for _, op := range ops {
		out.WriteByte(op.kind)
		out.WriteString(op.text)
		if !strings.HasSuffix(op.text, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// splitKeep splits text into lines, each keeping its newline.
func splitKeep(s string) []string {
	parts := strings.SplitAfter(s, "\n")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}
