package remotetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// psRun is one run of a script by the simulator.
type psRun struct {
	sim    *PowerShell
	ctx    context.Context
	scopes []map[string]any // innermost last; names in lower case
	funcs  map[string]*psFunction
	env    map[string]string // by upper-case name
	envKey map[string]string // upper-case name -> its spelling
	cwd    string            // the current location, a Windows path
	stdin  *bufio.Reader
	out    io.Writer
	errw   io.Writer
	input  []any // $input, read from stdin on first use
	inRead bool
	depth  int
	// tryDepth counts the try blocks running: errors propagate to them.
	tryDepth int
}

// Control flow and errors travel as panics inside a run.
type (
	// psError is a terminating error: throw, a cmdlet's error under
	// -ErrorAction Stop, a .NET exception.
	psError struct {
		msg      string
		typ      string // the exception's type name
		category string
		// script: throw and -ErrorAction Stop end the script (unless
		// caught); other errors end only their statement, as in PowerShell.
		script bool
		inner  *psError // the exception's InnerException
	}
	psExitFlow   struct{ code int }
	psReturnFlow struct{ val []any }
	psLoopFlow   struct{ brk bool }
)

func (e *psError) Error() string { return e.msg }

// psThrow raises a terminating error.
func psThrow(typ, format string, args ...any) {
	panic(&psError{msg: fmt.Sprintf(format, args...), typ: typ})
}

// errorRecord is $_ in a catch block: an ErrorRecord.
func (e *psError) errorRecord() *psObject {
	ex := e.exception()
	rec := newPSObject("System.Management.Automation.ErrorRecord")
	rec.props.set("Exception", ex)
	rec.props.set("CategoryInfo", e.category)
	rec.props.set("FullyQualifiedErrorId", e.typ)
	rec.str = e.msg
	return rec
}

// exception is the .NET exception object of an error, with its Message and
// InnerException.
func (e *psError) exception() *psObject {
	ex := newPSObject(e.typ)
	ex.props.set("Message", e.msg)
	var inner any
	if e.inner != nil {
		inner = e.inner.exception()
	}
	ex.props.set("InnerException", inner)
	ex.str = e.msg
	return ex
}

func (r *psRun) lookupVar(name string) (any, bool) {
	switch name {
	case "null":
		return nil, true
	case "true":
		return true, true
	case "false":
		return false, true
	case "input":
		return r.readInput(), true
	case "pwd":
		return r.cwd, true
	case "pid":
		return int64(4242), true
	}
	if strings.HasPrefix(name, "env:") {
		v, ok := r.env[strings.ToUpper(name[4:])]
		if !ok {
			return nil, true
		}
		return v, true
	}
	name = psScopeless(name)
	for i := len(r.scopes) - 1; i >= 0; i-- {
		if v, ok := r.scopes[i][name]; ok {
			return v, true
		}
	}
	switch name {
	case "psversiontable":
		h := newPSHash()
		v := newPSObject("System.Version")
		v.props.set("Major", int64(5))
		v.props.set("Minor", int64(1))
		v.str = "5.1.20348.1"
		h.set("PSVersion", v)
		h.set("PSEdition", "Desktop")
		return h, true
	case "erroractionpreference":
		return "Continue", true
	}
	return nil, false
}

// psScopeless drops a scope prefix: $script:x is $x.
func psScopeless(name string) string {
	for _, s := range []string{"script:", "global:", "local:", "private:"} {
		name = strings.TrimPrefix(name, s)
	}
	return name
}

func (r *psRun) setVar(name string, v any) {
	if strings.HasPrefix(name, "env:") {
		key := strings.ToUpper(name[4:])
		if v == nil {
			delete(r.env, key)
			return
		}
		r.env[key] = psString(v)
		return
	}
	name = psScopeless(name)
	for i := len(r.scopes) - 1; i >= 0; i-- {
		if _, ok := r.scopes[i][name]; ok {
			r.scopes[i][name] = v
			return
		}
	}
	r.scopes[len(r.scopes)-1][name] = v
}

// readInput reads standard input as lines, once.
func (r *psRun) readInput() []any {
	if !r.inRead {
		r.inRead = true
		r.input = []any{}
		if r.stdin != nil {
			for {
				line, err := r.stdin.ReadString('\n')
				if line != "" {
					r.input = append(r.input, strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
				}
				if err != nil {
					break
				}
			}
		}
	}
	return r.input
}

// stopOnError reports whether cmdlet errors are terminating.
func (r *psRun) stopOnError() bool {
	v, _ := r.lookupVar("erroractionpreference")
	return strings.EqualFold(psString(v), "Stop")
}

// execBlock runs statements and returns their output.
func (r *psRun) execBlock(b *psBlock) []any {
	var out []any
	for _, s := range b.stmts {
		if err := r.ctx.Err(); err != nil {
			panic(&psExitFlow{code: 1})
		}
		out = append(out, r.trapped(b.traps, s)...)
	}
	return out
}

// execStatement runs one statement. An error that ends only its statement
// (a .NET exception, a parameter binding error, an unknown command) is
// written to standard error and the script goes on, with $? false; inside
// try, or under $ErrorActionPreference = 'Stop', it propagates.
func (r *psRun) execStatement(s psNode) (out []any) {
	if r.tryDepth > 0 || r.stopOnError() {
		return r.exec(s)
	}
	defer func() {
		if e := recover(); e != nil {
			pe, ok := e.(*psError)
			if !ok || pe.script {
				panic(e)
			}
			r.writeError(pe)
			r.scopes[0]["?"] = false
		}
	}()
	return r.exec(s)
}

// writeError writes an error record to standard error, as PowerShell does.
func (r *psRun) writeError(e *psError) {
	fmt.Fprintf(r.errw, "%s\r\n    + CategoryInfo          : %s\r\n    + FullyQualifiedErrorId : %s\r\n", e.msg, e.category, e.typ)
}

func (r *psRun) exec(n psNode) []any {
	switch s := n.(type) {
	case *psIf:
		for i, c := range s.conds {
			if psBool(psCollapse(r.evalOut(c))) {
				return r.execBlock(s.bodies[i].(*psBlock))
			}
		}
		if s.els != nil {
			return r.execBlock(s.els.(*psBlock))
		}
		return nil
	case *psForeach:
		var out []any
		for _, v := range psUnroll(psCollapse(r.evalOut(s.in))) {
			r.setVar(s.name, v)
			body, brk := r.loopBody(s.body.(*psBlock))
			out = append(out, body...)
			if brk {
				break
			}
		}
		return out
	case *psFor:
		return r.execFor(s)
	case *psWhile:
		var out []any
		for psBool(psCollapse(r.evalOut(s.cond))) {
			body, brk := r.loopBody(s.body.(*psBlock))
			out = append(out, body...)
			if brk {
				break
			}
		}
		return out
	case *psTry:
		return r.execTry(s)
	case *psFlow:
		r.flow(s)
	case *psFunction:
		r.funcs[s.name] = s
		return nil
	case *psAssign:
		v := r.assign(s)
		if s.emit {
			return psUnroll(v)
		}
		return nil
	}
	return r.evalOut(n)
}

// loopBody runs a loop's body, catching break and continue.
func (r *psRun) loopBody(b *psBlock) (out []any, brk bool) {
	defer func() {
		if e := recover(); e != nil {
			f, ok := e.(*psLoopFlow)
			if !ok {
				panic(e)
			}
			brk = f.brk
		}
	}()
	return r.execBlock(b), false
}

func (r *psRun) execTry(s *psTry) (out []any) {
	if s.finally != nil {
		defer func() { out = append(out, r.execBlock(s.finally.(*psBlock))...) }()
	}
	var caught *psError
	func() {
		r.tryDepth++
		defer func() {
			r.tryDepth--
			if e := recover(); e != nil {
				pe, ok := e.(*psError)
				if !ok || s.catch == nil {
					panic(e)
				}
				caught = pe
			}
		}()
		out = r.execBlock(s.body.(*psBlock))
	}()
	if caught != nil {
		r.scopes = append(r.scopes, map[string]any{"_": caught.errorRecord()})
		defer func() { r.scopes = r.scopes[:len(r.scopes)-1] }()
		out = append(out, r.execBlock(s.catch.(*psBlock))...)
	}
	return out
}

func (r *psRun) flow(s *psFlow) {
	var val any
	if s.val != nil {
		val = psCollapse(r.evalOut(s.val))
	}
	switch s.kind {
	case "throw":
		msg := psString(val)
		if val == nil {
			msg = "ScriptHalted"
		}
		panic(&psError{msg: msg, typ: "System.Management.Automation.RuntimeException", category: "OperationStopped", script: true})
	case "exit":
		n, err := psNumber(val)
		if err != nil {
			psThrow("System.Management.Automation.RuntimeException", "%v", err)
		}
		panic(&psExitFlow{code: int(psFloat(n))})
	case "return":
		panic(&psReturnFlow{val: psUnroll(val)})
	case "break", "continue":
		panic(&psLoopFlow{brk: s.kind == "break"})
	}
}

func (r *psRun) assign(s *psAssign) any {
	val := r.value(s.val)
	if s.op != "=" {
		cur := r.eval(s.target)
		op := map[string]string{"+=": "+", "-=": "-"}[s.op]
		val = r.arith(op, cur, val)
	}
	r.assignTo(s, val)
	return val
}

// assignTo stores val into s's target.
func (r *psRun) assignTo(s *psAssign, val any) {
	switch t := s.target.(type) {
	case *psVar:
		r.setVar(t.name, val)
	case *psMember:
		if t.static {
			r.setStatic(r.eval(t.obj), t.name, val)
			return
		}
		r.setMember(r.eval(t.obj), t.name, val)
	case *psIndex:
		obj, idx := r.eval(t.obj), r.eval(t.idx)
		switch o := obj.(type) {
		case *psHash:
			o.set(psString(idx), val)
		case []any:
			n, _ := psNumber(idx)
			i := int(psFloat(n))
			if i < 0 || i >= len(o) {
				psThrow("System.IndexOutOfRangeException", "Index was outside the bounds of the array.")
			}
			o[i] = val
		default:
			psThrow("System.Management.Automation.RuntimeException", "Unable to index into an object of type %s.", psTypeName(obj))
		}
	case *psCast:
		if v, ok := t.x.(*psVar); ok {
			r.setVar(v.name, r.cast(t.typ, val))
			return
		}
		psThrow("System.Management.Automation.RuntimeException", "The assignment expression is not valid.")
	default:
		psThrow("System.Management.Automation.RuntimeException", "The assignment expression is not valid. The input to an assignment operator must be an object that is able to accept assignments.")
	}
}

func (r *psRun) setMember(obj any, name string, val any) {
	switch o := obj.(type) {
	case *psHash:
		o.set(name, val)
	case *psObject:
		if o.setter != nil {
			if err := o.setter(name, val); err != nil {
				psThrow("System.Management.Automation.SetValueInvocationException", "%v", err)
			}
			return
		}
		if _, ok := o.props.get(name); !ok && o.typ != psCustomTyp {
			psThrow("System.Management.Automation.RuntimeException", "The property '%s' cannot be found on this object.", name)
		}
		o.props.set(name, val)
	default:
		psThrow("System.Management.Automation.RuntimeException", "The property '%s' cannot be found on this object. Verify that the property exists and can be set.", name)
	}
}

// value is what an assignment or a hash literal stores: an expression's
// value as it is (an array stays one), a pipeline's or statement's output
// collapsed.
func (r *psRun) value(n psNode) any {
	switch n.(type) {
	case *psPipeline, *psAssign, *psIf, *psForeach, *psFor, *psWhile, *psTry, *psFlow, *psFunction, *psCommand:
		return psCollapse(r.evalOut(n))
	}
	return r.eval(n)
}

// evalOut evaluates a statement-like node to its output.
func (r *psRun) evalOut(n psNode) []any {
	switch s := n.(type) {
	case *psPipeline:
		return r.pipeline(s)
	case *psAssign:
		return r.exec(s)
	case *psIf, *psForeach, *psFor, *psWhile, *psTry, *psFlow, *psFunction:
		return r.exec(s)
	}
	return psUnroll(r.eval(n))
}

// eval evaluates an expression to its value.
func (r *psRun) eval(n psNode) any {
	switch e := n.(type) {
	case *psLit:
		return e.v
	case *psExpand:
		return r.expand(e.text)
	case *psVar:
		v, ok := r.lookupVar(e.name)
		if !ok {
			return nil
		}
		return v
	case *psArray:
		out := make([]any, len(e.items))
		for i, it := range e.items {
			out[i] = r.eval(it)
		}
		return out
	case *psSubExpr:
		out := r.execBlock(e.block)
		if e.array {
			if out == nil {
				out = []any{}
			}
			return out
		}
		return psCollapse(out)
	case *psHashLit:
		h := newPSHash()
		for i, k := range e.keys {
			h.set(k, r.value(e.vals[i]))
		}
		return h
	case *psTypeLit:
		return psTypeLit{name: e.name}
	case *psScript:
		return e
	case *psMember:
		return r.member(e)
	case *psIndex:
		return r.index(r.eval(e.obj), r.eval(e.idx))
	case *psUnary:
		return r.unary(e)
	case *psCast:
		return r.cast(e.typ, r.eval(e.x))
	case *psBinary:
		return r.binary(e)
	case *psPipeline, *psAssign, *psIf, *psForeach, *psFor, *psTry, *psFlow, *psWhile, *psFunction:
		return psCollapse(r.evalOut(e))
	case *psCommand:
		return psCollapse(r.pipeline(&psPipeline{elems: []psNode{e}}))
	}
	psThrow("System.NotSupportedException", "the simulator cannot evaluate %T", n)
	return nil
}

// expand evaluates a double-quoted string: `escapes, $var, ${var},
// $env:NAME and $(subexpressions).
func (r *psRun) expand(text string) string {
	var b strings.Builder
	src := []rune(text)
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '`' && i+1 < len(src):
			i++
			b.WriteString(psEscape(src[i]))
		case c == '"' && i+1 < len(src) && src[i+1] == '"':
			i++
			b.WriteRune('"')
		case c == '$' && i+1 < len(src) && src[i+1] == '(':
			p := &psParser{src: src, pos: i + 2}
			block := func() (blk *psBlock) {
				defer func() {
					if e := recover(); e != nil {
						if se, ok := e.(*psSyntaxError); ok {
							psThrow("System.Management.Automation.ParseException", "%s", se.msg)
						}
						panic(e)
					}
				}()
				blk = p.statements(')')
				p.expect(')', true)
				return blk
			}()
			b.WriteString(psString(psCollapse(r.execBlock(block))))
			i = p.pos - 1
		case c == '$' && i+1 < len(src) && (isPSNameRune(src[i+1]) || src[i+1] == '{'):
			p := &psParser{src: src, pos: i}
			v := p.variable().(*psVar)
			val, _ := r.lookupVar(v.name)
			b.WriteString(psString(val))
			i = p.pos - 1
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func isPSNameRune(c rune) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// psEscape is the character a backtick escape stands for.
func psEscape(c rune) string {
	switch c {
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case '0':
		return "\x00"
	case 'a':
		return "\a"
	case 'e':
		return "\x1b"
	}
	return string(c)
}

func (r *psRun) index(obj, idx any) any {
	switch o := obj.(type) {
	case *psHash:
		v, _ := o.get(psString(idx))
		return v
	case *psObject:
		v, _ := o.props.get(psString(idx))
		return v
	case []any, string, []byte:
		n, err := psNumber(idx)
		if err != nil {
			psThrow("System.Management.Automation.RuntimeException", "%v", err)
		}
		i := int(psFloat(n))
		switch x := o.(type) {
		case []any:
			if i < 0 {
				i += len(x)
			}
			if i >= 0 && i < len(x) {
				return x[i]
			}
		case string:
			rs := []rune(x)
			if i < 0 {
				i += len(rs)
			}
			if i >= 0 && i < len(rs) {
				return string(rs[i])
			}
		case []byte:
			if i >= 0 && i < len(x) {
				return int64(x[i])
			}
		}
		return nil
	case nil:
		psThrow("System.Management.Automation.RuntimeException", "Cannot index into a null array.")
	}
	if i, _ := psNumber(idx); i == int64(0) {
		return obj
	}
	return nil
}

func (r *psRun) unary(e *psUnary) any {
	x := r.eval(e.x)
	switch e.op {
	case "-not":
		return !psBool(x)
	case "-":
		n, err := psNumber(x)
		if err != nil {
			psThrow("System.Management.Automation.RuntimeException", "%v", err)
		}
		if i, ok := n.(int64); ok {
			return -i
		}
		return -n.(float64)
	case "-join":
		return r.binary(&psBinary{op: "-join", l: &psLit{v: x}, r: &psLit{v: ""}})
	case "-split":
		return psUnrollStrings(strings.Fields(psString(x)))
	}
	return nil
}

func psUnrollStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (r *psRun) binary(e *psBinary) any {
	switch e.op {
	case "-and":
		return psBool(r.eval(e.l)) && psBool(r.eval(e.r))
	case "-or":
		return psBool(r.eval(e.l)) || psBool(r.eval(e.r))
	}
	l, rv := r.eval(e.l), r.eval(e.r)
	op := e.op
	if len(op) > 2 && (op[1] == 'i' || op[1] == 'c') && op != "-in" && op != "-is" && op != "-isnot" && op != "-contains" {
		op = "-" + op[2:]
	}
	switch op {
	case "-xor":
		return psBool(l) != psBool(rv)
	case "+", "-", "*", "/", "%":
		return r.arith(op, l, rv)
	case "-eq", "-ne":
		if arr, ok := l.([]any); ok {
			var out []any
			for _, x := range arr {
				if psEqual(x, rv) == (op == "-eq") {
					out = append(out, x)
				}
			}
			if out == nil {
				out = []any{}
			}
			return out
		}
		return psEqual(l, rv) == (op == "-eq")
	case "-lt", "-le", "-gt", "-ge":
		c, err := psCompare(l, rv)
		if err != nil {
			psThrow("System.Management.Automation.RuntimeException", "%v", err)
		}
		return map[string]bool{"-lt": c < 0, "-le": c <= 0, "-gt": c > 0, "-ge": c >= 0}[op]
	case "-like", "-notlike":
		return psLike(psString(l), psString(rv)) == (op == "-like")
	case "-match", "-notmatch":
		re := psRegexp(psString(rv))
		m := re.FindStringSubmatch(psString(l))
		if m != nil {
			h := newPSHash()
			for i, g := range m {
				h.set(fmt.Sprint(i), g)
			}
			r.setVar("matches", h)
		}
		return (m != nil) == (op == "-match")
	case "-replace":
		args := psUnroll(rv)
		with := ""
		if len(args) > 1 {
			with = psString(args[1])
		}
		if len(args) == 0 {
			return psString(l)
		}
		return psRegexp(psString(args[0])).ReplaceAllString(psString(l), with) // $1 and ${name} as .NET
	case "-contains", "-notcontains":
		found := false
		for _, x := range psUnroll(l) {
			found = found || psEqual(x, rv)
		}
		return found == (op == "-contains")
	case "-in", "-notin":
		found := false
		for _, x := range psUnroll(rv) {
			found = found || psEqual(x, l)
		}
		return found == (op == "-in")
	case "-join":
		parts := psUnroll(l)
		ss := make([]string, len(parts))
		for i, p := range parts {
			ss[i] = psString(p)
		}
		return strings.Join(ss, psString(rv))
	case "-split":
		return psUnrollStrings(psRegexp(psString(rv)).Split(psString(l), -1))
	case "-is", "-isnot":
		t, _ := rv.(psTypeLit)
		return r.isType(l, t.name) == (op == "-is")
	case "-as":
		t, _ := rv.(psTypeLit)
		return r.cast(t.name, l)
	case "-f":
		return psFormat(psString(l), psUnroll(rv))
	case "..":
		a, b := int64(psFloat(mustNumber(l))), int64(psFloat(mustNumber(rv)))
		step := int64(1)
		if b < a {
			step = -1
		}
		var out []any
		for i := a; ; i += step {
			out = append(out, i)
			if i == b {
				return out
			}
		}
	}
	psThrow("System.NotSupportedException", "the simulator does not implement the operator %s", e.op)
	return nil
}

// psRegexp compiles a .NET regular expression, case-insensitively.
func psRegexp(pattern string) *regexp.Regexp {
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		psThrow("System.ArgumentException", "The regular expression pattern %s is not valid.", pattern)
	}
	return re
}

// psFormat is the -f operator for {0}, {1}... placeholders.
func psFormat(format string, args []any) string {
	return regexp.MustCompile(`\{(\d+)\}`).ReplaceAllStringFunc(format, func(m string) string {
		var i int
		fmt.Sscanf(m, "{%d}", &i)
		if i < len(args) {
			return psString(args[i])
		}
		return m
	})
}

func (r *psRun) arith(op string, l, rv any) any {
	switch x := l.(type) {
	case string:
		if op == "+" {
			return x + psString(rv)
		}
		if op == "*" {
			n, _ := psNumber(rv)
			return strings.Repeat(x, int(psFloat(n)))
		}
	case []any:
		if op == "+" {
			return append(append([]any{}, x...), psUnroll(rv)...)
		}
	case *psHash:
		if h, ok := rv.(*psHash); ok && op == "+" {
			out := newPSHash()
			for _, k := range x.keys {
				v, _ := x.get(k)
				out.set(k, v)
			}
			for _, k := range h.keys {
				if _, dup := out.get(k); dup {
					psThrow("System.ArgumentException", "Item has already been added. Key in dictionary: '%s'", k)
				}
				v, _ := h.get(k)
				out.set(k, v)
			}
			return out
		}
	case nil:
		if op == "+" {
			if _, isArr := rv.([]any); isArr {
				return rv
			}
			if s, isStr := rv.(string); isStr {
				return s
			}
		}
	case time.Time:
		if op == "-" {
			if t, ok := rv.(time.Time); ok {
				return x.Sub(t).Seconds()
			}
		}
	}
	a, err1 := psNumber(l)
	b, err2 := psNumber(rv)
	if err1 != nil || err2 != nil {
		psThrow("System.Management.Automation.RuntimeException", "Method invocation failed because [%s] does not contain a method named 'op_%s'.", psTypeName(l), op)
	}
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt && op != "/" {
		switch op {
		case "+":
			return ai + bi
		case "-":
			return ai - bi
		case "*":
			return ai * bi
		case "%":
			if bi == 0 {
				psThrow("System.DivideByZeroException", "Attempted to divide by zero.")
			}
			return ai % bi
		}
	}
	fa, fb := psFloat(a), psFloat(b)
	switch op {
	case "+":
		return fa + fb
	case "-":
		return fa - fb
	case "*":
		return fa * fb
	case "/":
		if fb == 0 {
			psThrow("System.DivideByZeroException", "Attempted to divide by zero.")
		}
		if aInt && bInt && ai%bi == 0 {
			return ai / bi
		}
		return fa / fb
	}
	return nil
}

// psTypeName is the .NET type name of a value, for messages.
func psTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "System.String"
	case bool:
		return "System.Boolean"
	case int64:
		return "System.Int64"
	case float64:
		return "System.Double"
	case []any:
		return "System.Object[]"
	case []byte:
		return "System.Byte[]"
	case *psHash:
		return "System.Collections.Hashtable"
	case time.Time:
		return "System.DateTime"
	case *psObject:
		return x.typ
	}
	return fmt.Sprintf("%T", v)
}

func (r *psRun) isType(v any, typ string) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "bool", "boolean":
		_, ok := v.(bool)
		return ok
	case "int", "int32", "int64", "long":
		_, ok := v.(int64)
		return ok
	case "double":
		_, ok := v.(float64)
		return ok
	case "array", "object[]":
		_, ok := v.([]any)
		return ok
	case "hashtable", "collections.hashtable":
		_, ok := v.(*psHash)
		return ok
	case "datetime":
		_, ok := v.(time.Time)
		return ok
	}
	o, ok := v.(*psObject)
	if !ok {
		return false
	}
	for t := strings.TrimPrefix(strings.ToLower(o.typ), "system."); t != ""; t = psBaseTypes[t] {
		if t == typ {
			return true
		}
	}
	return false
}

// psBaseTypes are the base classes of the exception types the simulator
// raises (lower case, without "System."), for -is.
var psBaseTypes = map[string]string{
	"io.filenotfoundexception":                                  "io.ioexception",
	"io.directorynotfoundexception":                             "io.ioexception",
	"io.ioexception":                                            "systemexception",
	"unauthorizedaccessexception":                               "systemexception",
	"argumentexception":                                         "systemexception",
	"argumentoutofrangeexception":                               "argumentexception",
	"formatexception":                                           "systemexception",
	"indexoutofrangeexception":                                  "systemexception",
	"notsupportedexception":                                     "systemexception",
	"systemexception":                                           "exception",
	"management.automation.methodinvocationexception":           "management.automation.methodexception",
	"management.automation.methodexception":                     "management.automation.runtimeexception",
	"management.automation.itemnotfoundexception":               "management.automation.sessionstateexception",
	"management.automation.sessionstateexception":               "management.automation.runtimeexception",
	"management.automation.commandnotfoundexception":            "management.automation.runtimeexception",
	"management.automation.parameterbindingexception":           "management.automation.runtimeexception",
	"management.automation.psinvalidcastexception":              "invalidcastexception",
	"invalidcastexception":                                      "systemexception",
	"management.automation.runtimeexception":                    "systemexception",
	"management.automation.setvalueinvocationexception":         "management.automation.setvalueexception",
	"management.automation.setvalueexception":                   "management.automation.extendedtypesystemexception",
	"management.automation.extendedtypesystemexception":         "management.automation.runtimeexception",
	"management.automation.parameterbindingvalidationexception": "management.automation.parameterbindingexception",
}

// cast converts a value to a type ([string]$x, [int]$x...).
func (r *psRun) cast(typ string, v any) any {
	switch typ {
	case "void":
		return nil
	case "string":
		if v == nil {
			return ""
		}
		return psString(v)
	case "bool", "boolean", "switch":
		return psBool(v)
	case "int", "int32", "int64", "long", "uint32", "uint64":
		n, err := psNumber(v)
		if err != nil {
			psThrow("System.Management.Automation.PSInvalidCastException", "%v", err)
		}
		if f, ok := n.(float64); ok {
			return int64(f + 0.5)
		}
		return n
	case "double", "float", "decimal":
		n, err := psNumber(v)
		if err != nil {
			psThrow("System.Management.Automation.PSInvalidCastException", "%v", err)
		}
		return psFloat(n)
	case "array", "object[]", "string[]":
		out := psUnroll(v)
		if out == nil {
			out = []any{}
		}
		if typ == "string[]" {
			for i, x := range out {
				out[i] = psString(x)
			}
		}
		return out
	case "hashtable", "ordered", "collections.hashtable":
		if h, ok := v.(*psHash); ok {
			return h
		}
	case "pscustomobject", "management.automation.pscustomobject":
		if h, ok := v.(*psHash); ok {
			o := newPSObject(psCustomTyp)
			for _, k := range h.keys {
				val, _ := h.get(k)
				o.props.set(k, val)
			}
			return o
		}
		return v
	case "datetime":
		if t, ok := v.(time.Time); ok {
			return t
		}
		for _, layout := range []string{"2006-01-02", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05", "01/02/2006 15:04:05"} {
			if t, err := time.Parse(layout, psString(v)); err == nil {
				return t
			}
		}
	case "byte[]":
		if b, ok := v.([]byte); ok {
			return b
		}
	case "char": // a one-character string: the simulator has no char type
		if n, ok := v.(int64); ok && n >= 0 && n <= 0xFFFF {
			return string(rune(n))
		}
		if str, ok := v.(string); ok && len([]rune(str)) == 1 {
			return str
		}
	case "object", "psobject":
		return v
	}
	psThrow("System.Management.Automation.PSInvalidCastException", "Cannot convert the \"%s\" value of type \"%s\" to type \"%s\".", psString(v), psTypeName(v), typ)
	return nil
}
