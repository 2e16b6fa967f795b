package playbook

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Cond is a condition (when, until, changed_when, failed_when) or an
// expression (loop): an expr-lang expression over the same names templates
// see, without the dot: `facts.os_family == "debian"`,
// `out.rc != 0 && out.stdout contains "ready"`. Compiled when the playbook
// is parsed; every name it reads must be defined somewhere.
type Cond struct {
	Src   string
	Pos   string   // file:line:col of the value
	Names []string // the top-level variables it reads
	prog  *vm.Program
}

// compileExpr compiles src. asBool makes the expression a condition.
func (d *decoder) compileExpr(src, pos string, line, col int, known *knownNames, asBool bool) *Cond {
	src = unwrapTemplate(src)
	opts := []expr.Option{}
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		d.Errs = append(d.Errs, &ParseError{Pos: exprPos(d.File, line, col, err, pos), Msg: "bad expression: " + exprMessage(err),
			Hint: `expr-lang syntax: facts.os_family == "debian", out.rc != 0, "ok" in out.stdout_lines`})
		return nil
	}
	c := &Cond{Src: src, Pos: pos, prog: prog}
	tree, err := exprparser.Parse(src)
	if err != nil {
		return c
	}
	v := &nameCollector{declared: map[string]bool{}}
	ast.Walk(&tree.Node, v)
	for _, id := range v.idents {
		if v.declared[id.Value] || c.hasName(id.Value) {
			continue
		}
		c.Names = append(c.Names, id.Value)
		if known != nil && !known.has(id.Value) {
			loc := id.Location()
			d.Errs = append(d.Errs, &ParseError{Pos: fmt.Sprintf("%s:%d:%d", d.File, line, col+loc.From),
				Msg: fmt.Sprintf("the expression reads the variable %q, which nothing defines", id.Value), Hint: known.hint(id.Value)})
		}
	}
	return c
}

func (c *Cond) hasName(name string) bool {
	for _, n := range c.Names {
		if n == name {
			return true
		}
	}
	return false
}

// unwrapTemplate turns Ansible's habit `when: "{{ x }}"` into `x`.
func unwrapTemplate(src string) string {
	s := strings.TrimSpace(src)
	if strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") && strings.Count(s, "{{") == 1 {
		return strings.TrimSpace(s[2 : len(s)-2])
	}
	return src
}

// exprPos positions a compile error inside a one-line expression.
func exprPos(fileName string, line, col int, err error, fallback string) string {
	if fe, ok := err.(*file.Error); ok && fe.Line <= 1 {
		return fmt.Sprintf("%s:%d:%d", fileName, line, col+fe.Column)
	}
	return fallback
}

// exprMessage is the first line of an expr error without its position.
func exprMessage(err error) string {
	if fe, ok := err.(*file.Error); ok {
		return fe.Message
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// nameCollector gathers the identifiers an expression reads and the names
// its let bindings declare.
type nameCollector struct {
	idents   []*ast.IdentifierNode
	declared map[string]bool
}

func (v *nameCollector) Visit(n *ast.Node) {
	switch n := (*n).(type) {
	case *ast.IdentifierNode:
		v.idents = append(v.idents, n)
	case *ast.VariableDeclaratorNode:
		v.declared[n.Name] = true
	}
}

// eval runs the condition with env.
func (c *Cond) eval(env map[string]any) (bool, error) {
	out, err := expr.Run(c.prog, env)
	if err != nil {
		return false, fmt.Errorf("%s: %q: %s", c.Pos, c.Src, exprMessage(err))
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%s: %q must be true or false, not %v", c.Pos, c.Src, out)
	}
	return b, nil
}

// value runs the expression with env and returns what it produced.
func (c *Cond) value(env map[string]any) (any, error) {
	out, err := expr.Run(c.prog, env)
	if err != nil {
		return nil, fmt.Errorf("%s: %q: %s", c.Pos, c.Src, exprMessage(err))
	}
	return out, nil
}
