package remotetest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The PowerShell simulator's parser: a scannerless recursive-descent parser
// of the subset documented on PowerShell, with PowerShell's two parsing
// modes (expression mode, and argument mode after a command name).

// psNode is a node of a parsed script.
type psNode interface{}

type (
	psBlock struct {
		stmts []psNode
		traps []*psBlock // trap { } statements: they handle its errors
		named *psNamedBlocks
	}
	// psNamedBlocks are a script's begin, process and end blocks (nil
	// when absent).
	psNamedBlocks struct{ begin, process, end *psBlock }
	psFor         struct{ init, cond, iter, body psNode }
	psTrap        struct{ body *psBlock }
	psIf          struct {
		conds, bodies []psNode
		els           psNode
	}
	psForeach struct {
		name string
		in   psNode
		body psNode
	}
	psWhile struct{ cond, body psNode }
	psTry   struct{ body, catch, finally psNode }
	psFlow  struct {
		kind string // throw, exit, return, break, continue
		val  psNode // nil when none
	}
	psFunction struct {
		name     string
		params   []string
		types    map[string]string // declared types ([int]$x), lower case
		defaults map[string]psNode
		body     *psBlock
	}
	psAssign struct {
		target psNode
		op     string // =, +=, -=
		val    psNode
		emit   bool // in parentheses: the assignment outputs the value
	}
	psPipeline struct{ elems []psNode }
	psCommand  struct {
		name   string // "" when invoked with & on an expression
		callee psNode
		args   []psArg
	}
	psArg struct {
		param   string // lower case; "" for a positional argument
		spelled string // the parameter as written
		val     psNode // nil for a switch
	}
	psLit     struct{ v any }
	psExpand  struct{ text string } // a double-quoted string
	psVar     struct{ name string }
	psArray   struct{ items []psNode } // a, b, c
	psSubExpr struct {
		block *psBlock
		array bool // @( ) rather than $( )
	}
	psHashLit struct {
		keys []string
		vals []psNode
	}
	psTypeLit struct{ name string }
	psScript  struct{ block *psBlock }
	psMember  struct {
		obj     psNode
		name    string
		spelled string // the name as written, for messages
		static  bool
		call    bool
		args    []psNode
	}
	psIndex struct{ obj, idx psNode }
	psUnary struct {
		op string
		x  psNode
	}
	psCast struct {
		typ string
		x   psNode
	}
	psBinary struct {
		op   string
		l, r psNode
	}
)

// psParser parses one script.
type psParser struct {
	src     []rune
	pos     int
	noComma bool // parsing method arguments: a comma separates them
}

// psSyntaxError is a parse error, at a line and column of the script.
type psSyntaxError struct {
	line, col int
	msg       string
}

func (e *psSyntaxError) Error() string {
	return fmt.Sprintf("At line:%d char:%d: %s", e.line, e.col, e.msg)
}

// parsePowerShell parses a script.
func parsePowerShell(src string) (block *psBlock, err error) {
	p := &psParser{src: []rune(src)}
	defer func() {
		if e := recover(); e != nil {
			se, ok := e.(*psSyntaxError)
			if !ok {
				panic(e)
			}
			err = se
		}
	}()
	block = p.scriptBody()
	if !p.eof() {
		p.fail("unexpected token %q", string(p.peek()))
	}
	return block, nil
}

func (p *psParser) fail(format string, args ...any) {
	line, col := 1, 1
	for _, r := range p.src[:min(p.pos, len(p.src))] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	panic(&psSyntaxError{line: line, col: col, msg: fmt.Sprintf(format, args...)})
}

func (p *psParser) eof() bool { return p.pos >= len(p.src) }

func (p *psParser) peek() rune {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *psParser) peekAt(i int) rune {
	if p.pos+i >= len(p.src) {
		return 0
	}
	return p.src[p.pos+i]
}

// blanks skips spaces, comments and line continuations; with newlines,
// line ends too.
func (p *psParser) blanks(newlines bool) {
	for !p.eof() {
		r := p.peek()
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\f' || r == '\v' || r == 0xA0 || r == 0xFEFF:
			p.pos++
		case r == '\n' && newlines:
			p.pos++
		case r == '`' && (p.peekAt(1) == '\n' || p.peekAt(1) == '\r'):
			p.pos += 2
		case r == '#':
			for !p.eof() && p.peek() != '\n' {
				p.pos++
			}
		case r == '<' && p.peekAt(1) == '#':
			end := strings.Index(string(p.src[p.pos:]), "#>")
			if end < 0 {
				p.fail("missing the end of a block comment (#>)")
			}
			p.pos += len([]rune(string(p.src[p.pos:])[:end])) + 2
		default:
			return
		}
	}
}

// expect consumes r (after blanks) or fails.
func (p *psParser) expect(r rune, newlines bool) {
	p.blanks(newlines)
	if p.peek() != r {
		p.fail("missing %q", string(r))
	}
	p.pos++
}

// word reads a run of letters, digits, '_' and '-' (a keyword, a cmdlet
// name) without consuming it.
func (p *psParser) word() string {
	i := p.pos
	for i < len(p.src) && (unicode.IsLetter(p.src[i]) || unicode.IsDigit(p.src[i]) || p.src[i] == '_' || p.src[i] == '-') {
		i++
	}
	return string(p.src[p.pos:i])
}

// keyword consumes kw when it is the next word.
func (p *psParser) keyword(kw string) bool {
	p.blanks(false)
	w := p.word()
	if strings.EqualFold(w, kw) {
		p.pos += len([]rune(w))
		return true
	}
	return false
}

// psBlockNames are the names of a script's named blocks.
var psBlockNames = []string{"begin", "process", "end"}

// scriptBody parses a script: named blocks when it starts with one (as
// PowerShell, only there: elsewhere begin, process and end are command
// names), else statements.
func (p *psParser) scriptBody() *psBlock {
	p.blanks(true)
	if !slices.Contains(psBlockNames, strings.ToLower(p.word())) {
		return p.statements(0)
	}
	named := &psNamedBlocks{}
	for {
		p.blanks(true)
		for p.peek() == ';' {
			p.pos++
			p.blanks(true)
		}
		if p.eof() {
			return &psBlock{named: named}
		}
		w := strings.ToLower(p.word())
		slot := map[string]**psBlock{"begin": &named.begin, "process": &named.process, "end": &named.end}[w]
		if slot == nil {
			p.fail("unexpected token '%s': a script with named blocks holds begin, process and end blocks only", w)
		}
		if *slot != nil {
			p.fail("the script has two %s blocks", w)
		}
		p.pos += len([]rune(w))
		*slot = p.braced()
	}
}

// statements parses statements until close (0: end of input).
func (p *psParser) statements(close rune) *psBlock {
	b := &psBlock{}
	for {
		p.blanks(true)
		for p.peek() == ';' {
			p.pos++
			p.blanks(true)
		}
		if p.eof() || p.peek() == close && close != 0 {
			return b
		}
		switch s := p.statement().(type) {
		case nil:
		case *psTrap:
			b.traps = append(b.traps, s.body)
		default:
			b.stmts = append(b.stmts, s)
		}
		p.blanks(false)
		switch r := p.peek(); {
		case r == ';' || r == '\n' || r == 0 || r == close && close != 0:
		default:
			p.fail("unexpected token %q", string(r))
		}
	}
}

// braced parses { statements }.
func (p *psParser) braced() *psBlock {
	p.expect('{', true)
	b := p.statements('}')
	p.expect('}', true)
	return b
}

// parenthesised parses ( pipeline ).
func (p *psParser) condition() psNode {
	p.expect('(', false)
	p.blanks(true)
	n := p.pipelineOrAssign()
	p.expect(')', true)
	return n
}

func (p *psParser) statement() psNode {
	p.blanks(false)
	save := p.pos
	w := strings.ToLower(p.word())
	after := p.peekAt(len([]rune(w)))
	if w != "" && !(unicode.IsLetter(after) || unicode.IsDigit(after) || after == '-' || after == '.' || after == ':') {
		p.pos += len([]rune(w))
		switch w {
		case "if":
			return p.ifStatement()
		case "foreach":
			p.expect('(', false)
			p.blanks(false)
			if p.peek() != '$' {
				p.fail("foreach needs a variable")
			}
			p.pos++
			name := p.word()
			p.pos += len([]rune(name))
			if !p.keyword("in") {
				p.fail("missing 'in' in foreach")
			}
			p.blanks(true)
			in := p.pipelineOrAssign()
			p.expect(')', true)
			return &psForeach{name: strings.ToLower(name), in: in, body: p.braced()}
		case "for":
			return p.forStatement()
		case "trap":
			p.blanks(false)
			if p.peek() == '[' { // trap [Type] { }: any error is trapped
				p.typeName()
			}
			return &psTrap{body: p.braced()}
		case "while":
			cond := p.condition()
			return &psWhile{cond: cond, body: p.braced()}
		case "try":
			return p.tryStatement()
		case "throw", "exit", "return":
			p.blanks(false)
			var val psNode
			if r := p.peek(); r != ';' && r != '\n' && r != '}' && r != 0 && r != ')' {
				val = p.pipelineOrAssign()
			}
			return &psFlow{kind: w, val: val}
		case "break", "continue":
			return &psFlow{kind: w}
		case "function":
			return p.function()
		}
	}
	p.pos = save
	return p.pipelineOrAssign()
}

// forStatement parses for (init; condition; iterator) { body }, each part
// optional.
func (p *psParser) forStatement() psNode {
	p.expect('(', false)
	n := &psFor{}
	part := func(end rune) psNode {
		p.blanks(true)
		var x psNode
		if p.peek() != end {
			x = p.pipelineOrAssign()
		}
		p.expect(end, true)
		return x
	}
	n.init, n.cond, n.iter = part(';'), part(';'), part(')')
	n.body = p.braced()
	return n
}

func (p *psParser) ifStatement() psNode {
	n := &psIf{}
	n.conds = append(n.conds, p.condition())
	n.bodies = append(n.bodies, p.braced())
	for {
		save := p.pos
		p.blanks(true)
		switch {
		case p.keyword("elseif"):
			n.conds = append(n.conds, p.condition())
			n.bodies = append(n.bodies, p.braced())
		case p.keyword("else"):
			n.els = p.braced()
			return n
		default:
			p.pos = save
			return n
		}
	}
}

func (p *psParser) tryStatement() psNode {
	n := &psTry{body: p.braced()}
	save := p.pos
	p.blanks(true)
	if p.keyword("catch") {
		p.blanks(false)
		for p.peek() == '[' { // catch [Type] { }: any error is caught
			p.typeName()
			p.blanks(false)
			if p.peek() == ',' {
				p.pos++
				p.blanks(false)
			}
		}
		n.catch = p.braced()
		save = p.pos
	}
	p.pos = save
	p.blanks(true)
	if p.keyword("finally") {
		n.finally = p.braced()
	} else {
		p.pos = save
	}
	if n.catch == nil && n.finally == nil {
		p.fail("try needs a catch or a finally block")
	}
	return n
}

func (p *psParser) function() psNode {
	p.blanks(false)
	name := p.word()
	if name == "" {
		p.fail("missing the function name")
	}
	p.pos += len([]rune(name))
	fn := &psFunction{name: strings.ToLower(name), types: map[string]string{}, defaults: map[string]psNode{}}
	p.blanks(false)
	if p.peek() == '(' {
		p.pos++
		p.paramNames(fn, ')')
	}
	p.expect('{', true)
	p.blanks(true)
	if p.keyword("param") {
		p.expect('(', false)
		p.paramNames(fn, ')')
	}
	fn.body = p.statements('}')
	p.expect('}', true)
	return fn
}

// paramNames reads "$a, [type]$b = default" up to close into fn's
// parameters, their types and defaults.
func (p *psParser) paramNames(fn *psFunction, close rune) {
	typ := ""
	for {
		p.blanks(true)
		switch r := p.peek(); {
		case r == close:
			p.pos++
			return
		case r == '[':
			typ = p.typeName()
		case r == '$':
			p.pos++
			w := strings.ToLower(p.word())
			p.pos += len([]rune(w))
			fn.params = append(fn.params, w)
			if typ != "" {
				fn.types[w] = typ
			}
			typ = ""
		case r == ',':
			p.pos++
		case r == '=' && len(fn.params) > 0:
			p.pos++
			p.blanks(true)
			outer := p.noComma
			p.noComma = true // a comma ends the default
			fn.defaults[fn.params[len(fn.params)-1]] = p.expression()
			p.noComma = outer
		default:
			p.fail("unexpected %q in a parameter list", string(r))
		}
	}
}

// pipelineOrAssign parses an assignment or a pipeline.
func (p *psParser) pipelineOrAssign() psNode {
	p.blanks(false)
	save := p.pos
	if r := p.peek(); r == '$' || r == '[' || r == '(' {
		target := p.postfix()
		p.blanks(false)
		for _, op := range []string{"++", "--"} {
			if strings.HasPrefix(string(p.src[p.pos:min(p.pos+2, len(p.src))]), op) {
				p.pos += 2
				return &psAssign{target: target, op: op[:1] + "=", val: &psLit{v: int64(1)}}
			}
		}
		for _, op := range []string{"=", "+=", "-="} {
			if strings.HasPrefix(string(p.src[p.pos:min(p.pos+2, len(p.src))]), op) && !(op == "=" && p.peekAt(1) == '=') {
				p.pos += len(op)
				p.blanks(true)
				return &psAssign{target: target, op: op, val: p.statement()}
			}
		}
		p.pos = save
	}
	return p.pipeline()
}

func (p *psParser) pipeline() psNode {
	pl := &psPipeline{}
	p.blanks(false)
	if p.startsCommand() {
		pl.elems = append(pl.elems, p.command())
	} else {
		pl.elems = append(pl.elems, p.expression())
	}
	for {
		p.blanks(false)
		if p.peek() != '|' || p.peekAt(1) == '|' {
			break
		}
		p.pos++
		p.blanks(true)
		if !p.startsCommand() {
			p.fail("expressions are only allowed as the first element of a pipeline")
		}
		pl.elems = append(pl.elems, p.command())
	}
	if len(pl.elems) == 1 {
		if _, isCmd := pl.elems[0].(*psCommand); !isCmd {
			return pl.elems[0]
		}
	}
	return pl
}

// startsCommand reports whether a command (rather than an expression)
// starts here: a bare word or the call operator.
func (p *psParser) startsCommand() bool {
	r := p.peek()
	return r == '&' || unicode.IsLetter(r) || r == '_' || r == '.' && (unicode.IsLetter(p.peekAt(1)) || p.peekAt(1) == '\\' || p.peekAt(1) == '/')
}

// command parses a command in argument mode.
func (p *psParser) command() *psCommand {
	c := &psCommand{}
	if p.peek() == '&' {
		p.pos++
		p.blanks(false)
		c.callee = p.argument()
	} else {
		c.name = p.bareword()
	}
	for {
		p.blanks(false)
		r := p.peek()
		if r == 0 || r == ';' || r == '\n' || r == '|' || r == ')' || r == '}' || r == '&' && p.peekAt(1) == '&' {
			return c
		}
		if r == '-' && (unicode.IsLetter(p.peekAt(1)) || p.peekAt(1) == '_') {
			p.pos++
			name := p.word()
			p.pos += len([]rune(name))
			a := psArg{param: strings.ToLower(name), spelled: name}
			if p.peek() == ':' {
				p.pos++
				a.val = p.argument()
			}
			c.args = append(c.args, a)
			continue
		}
		c.args = append(c.args, psArg{val: p.argument()})
	}
}

// bareword reads an unquoted argument-mode word.
func (p *psParser) bareword() string {
	start := p.pos
	for !p.eof() {
		r := p.peek()
		if unicode.IsSpace(r) || strings.ContainsRune(";|(){},", r) || r == '&' && p.peekAt(1) == '&' {
			break
		}
		p.pos++
	}
	return string(p.src[start:p.pos])
}

// argument parses one command argument (a comma list of values).
func (p *psParser) argument() psNode {
	first := p.argValue()
	p.blanks(false)
	if p.peek() != ',' {
		return first
	}
	arr := &psArray{items: []psNode{first}}
	for p.peek() == ',' {
		p.pos++
		p.blanks(true)
		arr.items = append(arr.items, p.argValue())
		p.blanks(false)
	}
	return arr
}

func (p *psParser) argValue() psNode {
	r := p.peek()
	switch {
	case r == '$' || r == '\'' || r == '"' || r == '(' || r == '@' || r == '{' || r == '[':
		return p.postfix()
	case unicode.IsDigit(r) || r == '-' && unicode.IsDigit(p.peekAt(1)):
		save := p.pos
		w := p.bareword()
		if n, ok := parsePSNumber(w); ok {
			return &psLit{v: n}
		}
		p.pos = save
	}
	w := p.bareword()
	if w == "" {
		p.fail("missing an argument")
	}
	return &psLit{v: w}
}

// Binary operators, loosest first.
var psBinaryLevels = [][]string{
	{"-and", "-or", "-xor"},
	{"-eq", "-ne", "-gt", "-ge", "-lt", "-le", "-like", "-notlike", "-match", "-notmatch", "-replace",
		"-contains", "-notcontains", "-in", "-notin", "-is", "-isnot", "-join", "-split", "-as",
		"-ieq", "-ine", "-ceq", "-cne", "-ilike", "-imatch", "-ireplace"},
	{"+", "-"},
	{"*", "/", "%"},
	{"-f"},
	{".."},
}

// expression parses an expression.
func (p *psParser) expression() psNode { return p.binary(0) }

func (p *psParser) binary(level int) psNode {
	if level == len(psBinaryLevels) {
		return p.comma()
	}
	l := p.binary(level + 1)
	for {
		save := p.pos
		p.blanks(false)
		op := p.binaryOp(psBinaryLevels[level])
		if op == "" {
			p.pos = save
			return l
		}
		p.blanks(true)
		l = &psBinary{op: op, l: l, r: p.binary(level + 1)}
	}
}

// binaryOp consumes one of ops.
func (p *psParser) binaryOp(ops []string) string {
	r := p.peek()
	if r == '-' && unicode.IsLetter(p.peekAt(1)) {
		p.pos++
		w := strings.ToLower(p.word())
		for _, op := range ops {
			if op == "-"+w {
				p.pos += len([]rune(w))
				return op
			}
		}
		p.pos--
		return ""
	}
	for _, op := range ops {
		if op == ".." && r == '.' && p.peekAt(1) == '.' {
			p.pos += 2
			return op
		}
		if len(op) == 1 && rune(op[0]) == r && p.peekAt(1) != '=' {
			p.pos++
			return op
		}
	}
	return ""
}

// comma parses a, b, c (tighter than the arithmetic operators).
func (p *psParser) comma() psNode {
	first := p.unary()
	save := p.pos
	p.blanks(false)
	if p.peek() != ',' || p.noComma {
		p.pos = save
		return first
	}
	arr := &psArray{items: []psNode{first}}
	for p.peek() == ',' {
		p.pos++
		p.blanks(true)
		arr.items = append(arr.items, p.unary())
		save = p.pos
		p.blanks(false)
	}
	p.pos = save
	return arr
}

func (p *psParser) unary() psNode {
	p.blanks(false)
	switch r := p.peek(); {
	case r == '!':
		p.pos++
		return &psUnary{op: "-not", x: p.unary()}
	case r == ',':
		p.pos++
		return &psArray{items: []psNode{p.unary()}}
	case r == '-' && unicode.IsLetter(p.peekAt(1)):
		p.pos++
		w := strings.ToLower(p.word())
		if w == "not" || w == "join" || w == "split" {
			p.pos += len([]rune(w))
			return &psUnary{op: "-" + w, x: p.unary()}
		}
		p.fail("unexpected operator -%s", w)
	case r == '-' && !unicode.IsDigit(p.peekAt(1)):
		p.pos++
		return &psUnary{op: "-", x: p.unary()}
	case r == '[':
		save := p.pos
		name := p.typeName()
		if p.peek() == ':' && p.peekAt(1) == ':' {
			p.pos = save
			return p.postfix()
		}
		p.blanks(false)
		if r := p.peek(); r == 0 || r == ')' || r == ';' || r == '\n' || r == '}' || r == '|' || r == ',' || p.atBinaryOperator() {
			return &psTypeLit{name: name}
		}
		return &psCast{typ: name, x: p.unary()}
	}
	return p.postfix()
}

// atBinaryOperator reports whether a binary operator written with a dash
// (-or, -eq...) comes next: after [Type], it makes the type a literal
// ([Type] -or ...), not a cast.
func (p *psParser) atBinaryOperator() bool {
	if p.peek() != '-' {
		return false
	}
	p.pos++
	w := "-" + strings.ToLower(p.word())
	p.pos--
	for _, level := range psBinaryLevels {
		if slices.Contains(level, w) {
			return true
		}
	}
	return false
}

// typeName reads [Type.Name] and returns it in lower case, without System.
func (p *psParser) typeName() string {
	p.expect('[', false)
	start := p.pos
	depth := 1
	for !p.eof() && depth > 0 {
		switch p.peek() {
		case '[':
			depth++
		case ']':
			depth--
		}
		p.pos++
	}
	if depth > 0 {
		p.fail("missing ']' after a type name")
	}
	name := strings.ToLower(strings.TrimSpace(string(p.src[start : p.pos-1])))
	return strings.TrimPrefix(name, "system.")
}

// postfix parses a primary expression and its member accesses, method
// calls and indexes (written without blanks before them).
func (p *psParser) postfix() psNode {
	n := p.primary()
	for {
		switch {
		case p.peek() == '.' && (unicode.IsLetter(p.peekAt(1)) || p.peekAt(1) == '_'):
			p.pos++
			n = p.member(n, false)
		case p.peek() == ':' && p.peekAt(1) == ':':
			p.pos += 2
			n = p.member(n, true)
		case p.peek() == '[':
			p.pos++
			p.blanks(true)
			idx := p.expression()
			p.expect(']', true)
			n = &psIndex{obj: n, idx: idx}
		default:
			return n
		}
	}
}

func (p *psParser) member(obj psNode, static bool) psNode {
	name := p.word()
	name = strings.TrimRight(name, "-")
	p.pos += len([]rune(name))
	m := &psMember{obj: obj, name: strings.ToLower(name), spelled: name, static: static}
	if p.peek() == '(' {
		p.pos++
		m.call = true
		outer := p.noComma
		p.noComma = true
		defer func() { p.noComma = outer }()
		p.blanks(true)
		for p.peek() != ')' {
			m.args = append(m.args, p.binary(1))
			p.blanks(true)
			if p.peek() == ',' {
				p.pos++
				p.blanks(true)
			} else if p.peek() != ')' {
				p.fail("missing ')' in a method call")
			}
		}
		p.pos++
	}
	return m
}

func (p *psParser) primary() psNode {
	p.blanks(false)
	if r := p.peek(); r == '(' || r == '@' || r == '$' && p.peekAt(1) == '(' || r == '{' {
		outer := p.noComma
		p.noComma = false
		defer func() { p.noComma = outer }()
	}
	switch r := p.peek(); {
	case r == '$' && p.peekAt(1) == '(':
		p.pos += 2
		b := p.statements(')')
		p.expect(')', true)
		return &psSubExpr{block: b}
	case r == '@' && p.peekAt(1) == '(':
		p.pos += 2
		b := p.statements(')')
		p.expect(')', true)
		return &psSubExpr{block: b, array: true}
	case r == '@' && p.peekAt(1) == '{':
		p.pos += 2
		return p.hashLiteral()
	case r == '@' && (p.peekAt(1) == '\'' || p.peekAt(1) == '"'):
		return p.hereString()
	case r == '$':
		return p.variable()
	case r == '\'':
		return &psLit{v: p.singleQuoted()}
	case r == '"':
		return &psExpand{text: p.doubleQuoted()}
	case r == '(':
		p.pos++
		p.blanks(true)
		n := p.pipelineOrAssign()
		p.expect(')', true)
		if a, ok := n.(*psAssign); ok {
			a.emit = true
		}
		return &psSubExpr{block: &psBlock{stmts: []psNode{n}}}
	case r == '{':
		return &psScript{block: p.braced()}
	case r == '[':
		return &psTypeLit{name: p.typeName()}
	case unicode.IsDigit(r) || r == '-' && unicode.IsDigit(p.peekAt(1)) || r == '.' && unicode.IsDigit(p.peekAt(1)):
		start := p.pos
		p.pos++
		for !p.eof() && (unicode.IsLetter(p.peek()) || unicode.IsDigit(p.peek()) || p.peek() == '.' && unicode.IsDigit(p.peekAt(1))) {
			p.pos++
		}
		n, ok := parsePSNumber(string(p.src[start:p.pos]))
		if !ok {
			p.fail("bad number %q", string(p.src[start:p.pos]))
		}
		return &psLit{v: n}
	}
	if p.eof() {
		p.fail("missing an expression")
	}
	p.fail("unexpected token %q in an expression", string(p.peek()))
	return nil
}

// parsePSNumber reads an integer (decimal, 0x hex, kb/mb/gb suffix) or a
// real number.
func parsePSNumber(s string) (any, bool) {
	mult := int64(1)
	ls := strings.ToLower(s)
	for suffix, m := range map[string]int64{"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30} {
		if strings.HasSuffix(ls, suffix) {
			ls, mult = strings.TrimSuffix(ls, suffix), m
		}
	}
	if strings.HasPrefix(ls, "0x") {
		n, err := strconv.ParseInt(ls[2:], 16, 64)
		return n * mult, err == nil
	}
	if n, err := strconv.ParseInt(ls, 10, 64); err == nil {
		return n * mult, true
	}
	f, err := strconv.ParseFloat(ls, 64)
	return f * float64(mult), err == nil
}

func (p *psParser) variable() psNode {
	p.pos++ // $
	if p.peek() == '{' {
		end := strings.IndexRune(string(p.src[p.pos:]), '}')
		if end < 0 {
			p.fail("missing '}' in ${...}")
		}
		name := string(p.src[p.pos+1 : p.pos+end])
		p.pos += len([]rune(string(p.src[p.pos:])[:end])) + 1
		return &psVar{name: strings.ToLower(name)}
	}
	if r := p.peek(); r == '_' && !unicode.IsLetter(p.peekAt(1)) || r == '?' {
		p.pos++
		return &psVar{name: string(r)}
	}
	start := p.pos
	for !p.eof() && (unicode.IsLetter(p.peek()) || unicode.IsDigit(p.peek()) || p.peek() == '_' ||
		p.peek() == ':' && p.peekAt(1) != ':' && p.pos > start) {
		p.pos++
	}
	if p.pos == start {
		p.fail("a variable name must follow $")
	}
	return &psVar{name: strings.ToLower(string(p.src[start:p.pos]))}
}

func (p *psParser) singleQuoted() string {
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			p.fail("missing the terminator ' of a string")
		}
		r := p.peek()
		p.pos++
		if r == '\'' {
			if p.peek() == '\'' {
				p.pos++
				b.WriteRune('\'')
				continue
			}
			return b.String()
		}
		b.WriteRune(r)
	}
}

// doubleQuoted returns the raw text of a "..." string (expanded when
// evaluated).
func (p *psParser) doubleQuoted() string {
	p.pos++
	start := p.pos
	depth := 0
	for {
		if p.eof() {
			p.fail(`missing the terminator " of a string`)
		}
		r := p.peek()
		switch {
		case r == '`':
			p.pos += 2
			continue
		case r == '$' && p.peekAt(1) == '(':
			depth++
			p.pos += 2
			continue
		case r == ')' && depth > 0:
			depth--
		case r == '"' && depth == 0:
			if p.peekAt(1) == '"' {
				p.pos += 2
				continue
			}
			text := string(p.src[start:p.pos])
			p.pos++
			return text
		}
		p.pos++
	}
}

func (p *psParser) hereString() psNode {
	quote := p.peekAt(1)
	p.pos += 2
	for p.peek() == ' ' || p.peek() == '\t' || p.peek() == '\r' {
		p.pos++
	}
	if p.peek() != '\n' {
		p.fail("a here-string's header must end its line")
	}
	p.pos++
	rest := string(p.src[p.pos:])
	end := strings.Index(rest, "\n"+string(quote)+"@")
	if end < 0 {
		p.fail("missing the end of a here-string (%c@ at the start of a line)", quote)
	}
	text := strings.TrimSuffix(rest[:end], "\r")
	p.pos += len([]rune(rest[:end])) + 3
	if quote == '\'' {
		return &psLit{v: text}
	}
	return &psExpand{text: text}
}

func (p *psParser) hashLiteral() psNode {
	h := &psHashLit{}
	for {
		p.blanks(true)
		for p.peek() == ';' {
			p.pos++
			p.blanks(true)
		}
		if p.peek() == '}' {
			p.pos++
			return h
		}
		var key string
		switch r := p.peek(); {
		case r == '\'':
			key = p.singleQuoted()
		case r == '"':
			key = p.doubleQuoted()
		default:
			key = p.word()
			if key == "" {
				p.fail("missing a key in a hash literal")
			}
			p.pos += len([]rune(key))
		}
		p.expect('=', false)
		p.blanks(true)
		h.keys = append(h.keys, key)
		h.vals = append(h.vals, p.statement())
		p.blanks(false)
		if r := p.peek(); r != ';' && r != '\n' && r != '}' {
			p.fail("missing ';' or a new line after a hash literal's value")
		}
	}
}
