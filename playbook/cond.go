package playbook

import (
	"fmt"
	"strings"

	"github.com/remotectl/remotectl/playbook/jinja"
)

// Cond is a condition (when, until, changed_when, failed_when) or an
// expression (debug var): Jinja2 expressions as Ansible's, without braces:
// `ansible_facts.os_family == "Debian"`, `out.rc != 0 and "ready" in
// out.stdout`. A condition may be a list of expressions that must all
// hold. Checked when the playbook is parsed; every name it reads must be
// defined somewhere, unless it asks (is defined) or gives a default.
type Cond struct {
	Src   string   // as written; a list's items joined with " and "
	Pos   string   // file:line:col of the value
	Names []string // the top-level variables it reads
	value any      // a bool, an expression or a list of them, as Ansible's Conditional takes
	eng   *jinja.Engine
}

// compileExpr checks src, an expression or (as Ansible accepts it) a
// template, and returns it as a Cond.
func (d *decoder) compileExpr(src string, at position, eng *jinja.Engine) *Cond {
	c := &Cond{Src: src, Pos: at.at(1, 1), value: src, eng: eng}
	if !d.checkExpr(c, at) {
		return nil
	}
	return c
}

// checkExpr checks c's expression, adding the names it reads.
func (d *decoder) checkExpr(c *Cond, at position) bool {
	src := c.Src
	check, names := c.eng.CheckExpr, jinja.Names("{{ "+src+" }}")
	if jinja.IsTemplate(src) {
		check, names = c.eng.Check, jinja.Names(src)
	}
	if err := check(src); err != nil {
		d.Errs = append(d.Errs, templateError(at, "bad expression: ", err))
		return false
	}
	for _, n := range names {
		if !c.hasName(n) {
			c.Names = append(c.Names, n)
		}
	}
	return true
}

func (c *Cond) hasName(name string) bool {
	for _, n := range c.Names {
		if n == name {
			return true
		}
	}
	return false
}

// eval judges the condition with vars, as Ansible's Conditional.
func (c *Cond) eval(vars map[string]any) (bool, error) {
	ok, err := c.eng.Conditional(c.value, vars)
	if err != nil {
		return false, fmt.Errorf("%s: %q: %s", c.Pos, c.Src, err)
	}
	return ok, nil
}

// evalValue evaluates the expression with vars and returns its value.
func (c *Cond) evalValue(vars map[string]any) (any, error) {
	src, _ := c.value.(string)
	if jinja.IsTemplate(src) {
		return c.eng.Render(src, vars)
	}
	return c.eng.Eval(strings.TrimSpace(src), vars)
}
