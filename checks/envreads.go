package checks

import (
	"slices"
	"text/template"
	tparse "text/template/parse"
)

// envReads are the controller's environment variables that templates
// read, found in the templates' text (every branch, whether it runs or
// not): .Env.NAME, and getEnv, Sprig's env with a name written in the call.
// A template that reads the environment another way (range or with over
// .Env, index .Env $name, getEnv with a computed name, expandenv) sets
// any: it may read every variable.
type envReads struct {
	names map[string]bool
	any   bool
}

// template notes what t and the templates it defines read.
func (e *envReads) template(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			e.node(tt.Root, 0)
		}
	}
}

func (e *envReads) add(name string) {
	if e.names == nil {
		e.names = make(map[string]bool)
	}
	e.names[name] = true
}

// node walks a template's parse tree.
func (e *envReads) node(n tparse.Node, depth int) {
	if n == nil || depth > 500 {
		return
	}
	switch n := n.(type) {
	case *tparse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			e.node(c, depth+1)
		}
	case *tparse.ActionNode:
		e.node(n.Pipe, depth+1)
	case *tparse.IfNode:
		e.branch(&n.BranchNode, depth)
	case *tparse.RangeNode:
		e.branch(&n.BranchNode, depth)
	case *tparse.WithNode:
		e.branch(&n.BranchNode, depth)
	case *tparse.TemplateNode:
		e.node(n.Pipe, depth+1)
	case *tparse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			e.node(c, depth+1)
		}
	case *tparse.CommandNode:
		e.command(n, depth)
	case *tparse.FieldNode:
		e.fields(n.Ident)
	case *tparse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			e.fields(n.Ident[1:])
		}
	case *tparse.ChainNode:
		e.node(n.Node, depth+1)
		if f, ok := n.Node.(*tparse.FieldNode); ok && len(f.Ident) == 1 && f.Ident[0] == "Env" && len(n.Field) > 0 {
			e.add(n.Field[0]) // (.Env).NAME: counted as any by the field too
		}
	}
}

func (e *envReads) branch(b *tparse.BranchNode, depth int) {
	e.node(b.Pipe, depth+1)
	e.node(b.List, depth+1)
	e.node(b.ElseList, depth+1)
}

// fields notes .Env.NAME, or any for .Env on its own.
func (e *envReads) fields(ident []string) {
	switch {
	case len(ident) == 0 || ident[0] != "Env":
	case len(ident) == 1:
		e.any = true
	default:
		e.add(ident[1])
	}
}

// command notes the functions that read the environment.
func (e *envReads) command(n *tparse.CommandNode, depth int) {
	for _, a := range n.Args {
		e.node(a, depth+1)
	}
	if len(n.Args) == 0 {
		return
	}
	id, ok := n.Args[0].(*tparse.IdentifierNode)
	if !ok {
		return
	}
	switch id.Ident {
	case "getEnv", "env":
		if len(n.Args) > 1 {
			if s, ok := n.Args[1].(*tparse.StringNode); ok {
				e.add(s.Text)
				return
			}
		}
		e.any = true
	case "expandenv":
		e.any = true
	}
}

// EnvRead returns the controller's environment variables the templates of
// the files l loaded read (sorted), and whether some template reads the
// environment in a way that may read any of them. Their values are secrets
// for a run's outputs, as what a playbook's env lookup reads.
func (l *Loader) EnvRead() (names []string, anyRead bool) {
	for n := range l.env.names {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, l.env.any
}
