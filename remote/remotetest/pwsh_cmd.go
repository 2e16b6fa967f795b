package remotetest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// psCmdlet is a cmdlet of the simulator.
type psCmdlet struct {
	params   []string // its parameters (lower case); the first positional ones bind by position
	position int      // how many of params bind by position
	switches []string
	aliases  map[string]string // parameter alias -> parameter
	run      func(r *psRun, b *psBound) []any
}

// psBound is a cmdlet's call: its bound arguments and pipeline input.
type psBound struct {
	name     string // as written in the script
	vals     map[string]any
	switches map[string]bool
	input    []any
	piped    bool
	ea       string // -ErrorAction, lower case; "" when not given
}

func (b *psBound) has(p string) bool { _, ok := b.vals[p]; return ok }
func (b *psBound) str(p string) string {
	return psString(b.vals[p])
}

// pipeline runs a pipeline: the first element's output is the next one's
// input.
func (r *psRun) pipeline(pl *psPipeline) []any {
	var data []any
	for i, el := range pl.elems {
		if c, ok := el.(*psCommand); ok {
			data = r.command(c, data, i > 0)
			continue
		}
		data = psUnroll(r.eval(el))
	}
	return data
}

// command runs one command of a pipeline.
func (r *psRun) command(c *psCommand, input []any, piped bool) []any {
	name := c.name
	if c.callee != nil {
		v := r.eval(c.callee)
		if sb, ok := v.(*psScript); ok {
			return r.callBlock(sb.block, nil, r.argValues(c.args), input)
		}
		name = psString(v)
	}
	lname := strings.ToLower(name)
	if fn, ok := r.funcs[lname]; ok {
		out := r.callFunction(fn, c.args, input)
		r.scopes[0]["?"] = true
		return out
	}
	if alias, ok := psAliases[lname]; ok {
		lname = alias
	}
	if cmd, ok := psCmdlets()[lname]; ok {
		b := r.bind(name, cmd, c.args)
		b.input, b.piped = input, piped
		r.scopes[0]["?"] = true // $? is this command's: its arguments' commands ran already
		return cmd.run(r, b)
	}
	exe := lname[strings.LastIndexAny(lname, `\/`)+1:]
	exe = strings.TrimSuffix(exe, ".exe")
	if native, ok := psNatives()[exe]; ok {
		var args []string
		for _, v := range r.argValues(c.args) {
			for _, x := range psUnroll(v) {
				args = append(args, psString(x))
			}
		}
		out, code := native(r, args, input)
		r.scopes[0]["lastexitcode"] = int64(code)
		r.scopes[0]["?"] = code == 0
		return out
	}
	panic(&psError{typ: "System.Management.Automation.CommandNotFoundException", category: "ObjectNotFound",
		msg: fmt.Sprintf("The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program. "+
			"Check the spelling of the name, or if a path was included, verify that the path is correct and try again. "+
			"(remotectl's PowerShell simulator implements a subset: see remotetest.PowerShell)", name)})
}

// argValues evaluates arguments as plain values (-Name becomes the string
// "-Name"), for natives and script blocks.
func (r *psRun) argValues(args []psArg) []any {
	var out []any
	for _, a := range args {
		if a.param != "" {
			out = append(out, "-"+a.param)
		}
		if a.val != nil {
			out = append(out, r.eval(a.val))
		}
	}
	return out
}

// bind matches a cmdlet's arguments to its parameters (full names, aliases
// and unambiguous prefixes, as PowerShell).
func (r *psRun) bind(name string, cmd psCmdlet, args []psArg) *psBound {
	b := &psBound{name: name, vals: map[string]any{}, switches: map[string]bool{}}
	pos := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a.param == "" {
			if pos >= cmd.position {
				panic(&psError{typ: "System.Management.Automation.ParameterBindingException", category: "InvalidArgument",
					msg: fmt.Sprintf("%s : A positional parameter cannot be found that accepts argument '%s'.", name, psString(r.eval(a.val)))})
			}
			b.vals[cmd.params[pos]] = r.eval(a.val)
			pos++
			continue
		}
		p, isSwitch := r.resolveParam(name, cmd, a)
		switch {
		case p == "erroraction":
			b.ea = strings.ToLower(psString(r.eval(r.paramValue(name, args, &i))))
		case p == "whatif" || p == "confirm" || p == "verbose":
			if a.val != nil && !psBool(r.eval(a.val)) || p != "whatif" {
				continue
			}
			panic(&psError{typ: "System.NotSupportedException", msg: name + ": the simulator does not implement -WhatIf"})
		case isSwitch:
			b.switches[p] = a.val == nil || psBool(r.eval(a.val))
		default:
			b.vals[p] = r.eval(r.paramValue(name, args, &i))
		}
	}
	return b
}

// paramValue is the value of args[*i], a named parameter: after a colon or
// the next argument.
func (r *psRun) paramValue(name string, args []psArg, i *int) psNode {
	if args[*i].val != nil {
		return args[*i].val
	}
	if *i+1 >= len(args) || args[*i+1].param != "" {
		panic(&psError{typ: "System.Management.Automation.ParameterBindingException", category: "InvalidArgument",
			msg: fmt.Sprintf("%s : Missing an argument for parameter '%s'. Specify a parameter of type 'System.Object' and try again.", name, args[*i].param)})
	}
	*i++
	return args[*i].val
}

func (r *psRun) resolveParam(name string, cmd psCmdlet, arg psArg) (string, bool) {
	given := arg.param
	if given == "ea" {
		return "erroraction", false
	}
	if p, ok := cmd.aliases[given]; ok {
		return p, slices.Contains(cmd.switches, p)
	}
	all := append(append(append([]string{}, cmd.params...), cmd.switches...), "erroraction", "whatif", "confirm", "verbose")
	var found []string
	for _, p := range all {
		if p == given {
			return p, slices.Contains(cmd.switches, p)
		}
		if strings.HasPrefix(p, given) {
			found = append(found, p)
		}
	}
	if len(found) == 1 {
		return found[0], slices.Contains(cmd.switches, found[0])
	}
	panic(&psError{typ: "System.Management.Automation.ParameterBindingException", category: "InvalidArgument",
		msg: fmt.Sprintf("%s : A parameter cannot be found that matches parameter name '%s'.", name, arg.spelled)})
}

// cmdletError reports a cmdlet's error: terminating under -ErrorAction
// Stop (or $ErrorActionPreference = 'Stop'), dropped under
// SilentlyContinue or Ignore, written to standard error otherwise.
func (r *psRun) cmdletError(b *psBound, typ, category, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	ea := b.ea
	if ea == "" {
		v, _ := r.lookupVar("erroractionpreference")
		ea = strings.ToLower(psString(v))
	}
	r.scopes[0]["?"] = false
	switch ea {
	case "stop":
		panic(&psError{msg: msg, typ: typ, category: category, script: true})
	case "silentlycontinue", "ignore":
		return
	}
	fmt.Fprintf(r.errw, "%s : %s\r\n    + CategoryInfo          : %s\r\n", b.name, msg, category)
}

// callFunction runs a function of the script.
func (r *psRun) callFunction(fn *psFunction, args []psArg, input []any) []any {
	named := map[string]any{}
	var positional []any
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a.param != "" && slices.Contains(fn.params, a.param) {
			if a.val == nil && (i+1 >= len(args) || args[i+1].param != "") {
				named[a.param] = true
				continue
			}
			named[a.param] = r.eval(r.paramValue(fn.name, args, &i))
			continue
		}
		positional = append(positional, r.argValues([]psArg{a})...)
	}
	scope := map[string]any{}
	for _, p := range fn.params {
		if v, ok := named[p]; ok {
			scope[p] = v
		} else if len(positional) > 0 {
			scope[p], positional = positional[0], positional[1:]
		} else if def, ok := fn.defaults[p]; ok {
			scope[p] = r.value(def)
		} else {
			scope[p] = psZeroValue(fn.types[p])
		}
		if typ, ok := fn.types[p]; ok && psParamCasts[typ] {
			scope[p] = r.cast(typ, scope[p])
		}
	}
	return r.callBlock(fn.body, scope, positional, input)
}

// psParamCasts are the parameter types a function converts its arguments
// to ([string]$x, [int]$x...); others are taken as they come.
var psParamCasts = map[string]bool{"string": true, "int": true, "int32": true, "int64": true, "long": true, "bool": true, "switch": true, "double": true}

// psZeroValue is the value of an unset parameter of a type: ” for
// [string], 0 for numbers, $false for [bool] and [switch], else $null.
func psZeroValue(typ string) any {
	switch typ {
	case "string":
		return ""
	case "int", "int32", "int64", "long":
		return int64(0)
	case "double":
		return float64(0)
	case "bool", "switch":
		return false
	}
	return nil
}

// callBlock runs a script block in a new scope, with $args and $input.
func (r *psRun) callBlock(b *psBlock, scope map[string]any, args, input []any) (out []any) {
	r.depth++
	if r.depth > 100 {
		psThrow("System.Management.Automation.ScriptCallDepthException", "The script failed due to call depth overflow.")
	}
	if scope == nil {
		scope = map[string]any{}
	}
	if args == nil {
		args = []any{}
	}
	scope["args"] = args
	if input != nil {
		scope["input"] = input
	}
	r.scopes = append(r.scopes, scope)
	defer func() {
		r.scopes = r.scopes[:len(r.scopes)-1]
		r.depth--
		if e := recover(); e != nil {
			ret, ok := e.(*psReturnFlow)
			if !ok {
				panic(e)
			}
			out = append(out, ret.val...)
		}
	}()
	return r.execBlock(b)
}

// psAliases are the built-in aliases the simulator knows.
var psAliases = map[string]string{
	"echo": "write-output", "%": "foreach-object", "foreach": "foreach-object", "?": "where-object",
	"where": "where-object", "select": "select-object", "cd": "set-location", "pwd": "get-location",
	"gci": "get-childitem", "ls": "get-childitem", "dir": "get-childitem", "cat": "get-content",
	"gc": "get-content", "rm": "remove-item", "del": "remove-item", "rmdir": "remove-item",
	"copy": "copy-item", "cp": "copy-item", "move": "move-item", "mv": "move-item", "gsv": "get-service",
	"sleep": "start-sleep", "gi": "get-item", "ni": "new-item",
}

// psCmdlets is the table of cmdlets the simulator implements.
func psCmdlets() map[string]psCmdlet {
	m := map[string]psCmdlet{
		"write-output":     {params: []string{"inputobject"}, position: 1, switches: []string{"noenumerate"}, run: cmdWriteOutput},
		"write-host":       {params: []string{"object", "foregroundcolor", "backgroundcolor"}, position: 1, switches: []string{"nonewline"}, run: cmdWriteHost},
		"write-error":      {params: []string{"message", "category", "errorid"}, position: 1, run: cmdWriteError},
		"write-warning":    {params: []string{"message"}, position: 1, run: cmdWriteWarning},
		"write-verbose":    {params: []string{"message"}, position: 1, run: func(*psRun, *psBound) []any { return nil }},
		"out-null":         {params: []string{"inputobject"}, run: func(*psRun, *psBound) []any { return nil }},
		"out-string":       {params: []string{"inputobject", "width"}, switches: []string{"stream"}, run: cmdOutString},
		"convertto-json":   {params: []string{"inputobject", "depth"}, position: 1, switches: []string{"compress"}, run: cmdConvertToJSON},
		"convertfrom-json": {params: []string{"inputobject"}, position: 1, run: cmdConvertFromJSON},
		"foreach-object":   {params: []string{"process"}, position: 1, run: cmdForEachObject},
		"where-object":     {params: []string{"filterscript"}, position: 1, run: cmdWhereObject},
		"select-object":    {params: []string{"property", "expandproperty", "first", "last"}, position: 1, run: cmdSelectObject},
		"set-location":     {params: []string{"path", "literalpath"}, position: 1, run: cmdSetLocation},
		"get-location":     {run: func(r *psRun, _ *psBound) []any { return []any{r.cwd} }},
		"get-date":         {params: []string{"date", "format"}, position: 1, run: cmdGetDate},
		"start-sleep":      {params: []string{"seconds", "milliseconds"}, position: 1, aliases: map[string]string{"s": "seconds", "m": "milliseconds"}, run: cmdStartSleep},
		"join-path":        {params: []string{"path", "childpath"}, position: 2, run: cmdJoinPath},
		"split-path":       {params: []string{"path", "literalpath"}, position: 1, switches: []string{"parent", "leaf"}, run: cmdSplitPath},
	}
	for k, v := range psFileCmdlets() {
		m[k] = v
	}
	for k, v := range psServiceCmdlets() {
		m[k] = v
	}
	return m
}

func cmdWriteOutput(r *psRun, b *psBound) []any {
	if !b.has("inputobject") {
		return b.input
	}
	if b.switches["noenumerate"] {
		return []any{b.vals["inputobject"]}
	}
	return psUnroll(b.vals["inputobject"])
}

func cmdWriteHost(r *psRun, b *psBound) []any {
	end := "\r\n"
	if b.switches["nonewline"] {
		end = ""
	}
	fmt.Fprint(r.out, psString(b.vals["object"])+end)
	return nil
}

func cmdWriteError(r *psRun, b *psBound) []any {
	msg := b.str("message")
	if !b.has("message") && len(b.input) > 0 {
		msg = psString(b.input[0])
	}
	r.cmdletError(b, "Microsoft.PowerShell.Commands.WriteErrorException", "NotSpecified", "%s", msg)
	return nil
}

func cmdWriteWarning(r *psRun, b *psBound) []any {
	fmt.Fprintf(r.out, "WARNING: %s\r\n", b.str("message"))
	return nil
}

func cmdOutString(r *psRun, b *psBound) []any {
	in := b.input
	if b.has("inputobject") {
		in = psUnroll(b.vals["inputobject"])
	}
	var sb strings.Builder
	for _, v := range in {
		sb.WriteString(psFormatOut(v))
	}
	return []any{sb.String()}
}

// psFormatOut is how an object is written to standard output: strings as
// they are, objects as a property list, each followed by a line end.
func psFormatOut(v any) string {
	switch x := v.(type) {
	case *psHash:
		var sb strings.Builder
		sb.WriteString("\r\nName                           Value\r\n----                           -----\r\n")
		for _, k := range x.keys {
			val, _ := x.get(k)
			fmt.Fprintf(&sb, "%-30s %s\r\n", k, psString(val))
		}
		return sb.String() + "\r\n"
	case *psObject:
		if x.str != "" && x.typ != psCustomTyp {
			return x.str + "\r\n"
		}
		var sb strings.Builder
		sb.WriteString("\r\n")
		for _, k := range x.props.keys {
			val, _ := x.props.get(k)
			fmt.Fprintf(&sb, "%s : %s\r\n", k, psString(val))
		}
		return sb.String() + "\r\n"
	}
	return psString(v) + "\r\n"
}

func cmdConvertToJSON(r *psRun, b *psBound) []any {
	depth := int64(2)
	if b.has("depth") {
		n, _ := psNumber(b.vals["depth"])
		depth = int64(psFloat(n))
	}
	var v any
	switch {
	case b.has("inputobject"):
		v = b.vals["inputobject"]
	case len(b.input) == 1:
		v = b.input[0]
	case len(b.input) > 1:
		v = b.input
	default:
		return nil
	}
	j := psToJSON(v, int(depth))
	var data []byte
	var err error
	if b.switches["compress"] {
		data, err = json.Marshal(j)
	} else {
		data, err = json.MarshalIndent(j, "", "    ")
	}
	if err != nil {
		psThrow("System.InvalidOperationException", "%v", err)
	}
	return []any{strings.ReplaceAll(string(data), "\n", "\r\n")}
}

// psJSONOrdered is a JSON object that keeps its key order.
type psJSONOrdered struct {
	keys []string
	vals []any
}

func (o psJSONOrdered) MarshalJSON() ([]byte, error) {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		sb.Write(kb)
		sb.WriteByte(':')
		sb.Write(vb)
	}
	sb.WriteByte('}')
	return []byte(sb.String()), nil
}

// psToJSON converts a value as ConvertTo-Json does: hashtables and objects
// become JSON objects, enums their number, DateTime "\/Date(ms)\/", and
// what lies deeper than depth its string.
func psToJSON(v any, depth int) any {
	switch x := v.(type) {
	case nil, bool, string, int64:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return psString(x)
		}
		return x
	case psEnum:
		return x.val
	case time.Time:
		return `\/Date(` + strconv.FormatInt(x.UnixMilli(), 10) + `)\/`
	case []byte:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = int64(c)
		}
		return out
	case []any:
		if depth < 0 {
			return psString(x)
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = psToJSON(e, depth-1)
		}
		return out
	case *psHash:
		return psJSONObject(x, depth)
	case *psObject:
		if x.str != "" && len(x.props.keys) == 0 {
			return x.str
		}
		return psJSONObject(x.props, depth)
	}
	return psString(v)
}

func psJSONObject(h *psHash, depth int) any {
	if depth < 0 {
		return psString(h)
	}
	o := psJSONOrdered{}
	for _, k := range h.keys {
		v, _ := h.get(k)
		o.keys = append(o.keys, k)
		o.vals = append(o.vals, psToJSON(v, depth-1))
	}
	return o
}

func cmdConvertFromJSON(r *psRun, b *psBound) []any {
	text := b.str("inputobject")
	if !b.has("inputobject") {
		parts := make([]string, len(b.input))
		for i, v := range b.input {
			parts[i] = psString(v)
		}
		text = strings.Join(parts, "\n")
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := psDecodeJSON(dec)
	if err == nil {
		if _, extra := dec.Token(); extra == nil {
			err = fmt.Errorf("unexpected data after the JSON value")
		}
	}
	if err != nil {
		psThrow("System.ArgumentException", "Invalid JSON primitive: %v", err)
	}
	return []any{v}
}

// psDecodeJSON decodes one JSON value into simulator values, objects as
// PSCustomObjects with their properties in the document's order.
func psDecodeJSON(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			out := []any{}
			for dec.More() {
				v, err := psDecodeJSON(dec)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		}
		o := newPSObject(psCustomTyp)
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := psDecodeJSON(dec)
			if err != nil {
				return nil, err
			}
			o.props.set(k.(string), v)
		}
		_, err := dec.Token()
		return o, err
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n, nil
		}
		f, err := t.Float64()
		return f, err
	}
	return tok, nil
}

func cmdForEachObject(r *psRun, b *psBound) []any {
	sb, ok := b.vals["process"].(*psScript)
	if !ok {
		psThrow("System.Management.Automation.ParameterBindingException", "ForEach-Object needs a script block")
	}
	var out []any
	for _, v := range b.input {
		out = append(out, r.callBlock(sb.block, map[string]any{"_": v}, nil, nil)...)
	}
	return out
}

func cmdWhereObject(r *psRun, b *psBound) []any {
	sb, ok := b.vals["filterscript"].(*psScript)
	if !ok {
		psThrow("System.Management.Automation.ParameterBindingException", "Where-Object needs a script block")
	}
	var out []any
	for _, v := range b.input {
		if psBool(psCollapse(r.callBlock(sb.block, map[string]any{"_": v}, nil, nil))) {
			out = append(out, v)
		}
	}
	return out
}

func cmdSelectObject(r *psRun, b *psBound) []any {
	in := b.input
	if b.has("first") {
		n := int(psFloat(mustNumber(b.vals["first"])))
		in = in[:min(n, len(in))]
	}
	if b.has("last") {
		n := int(psFloat(mustNumber(b.vals["last"])))
		in = in[max(0, len(in)-n):]
	}
	if b.has("expandproperty") {
		var out []any
		for _, v := range in {
			out = append(out, psUnroll(r.property(v, strings.ToLower(b.str("expandproperty"))))...)
		}
		return out
	}
	if b.has("property") {
		var out []any
		for _, v := range in {
			o := newPSObject(psCustomTyp)
			for _, p := range psUnroll(b.vals["property"]) {
				o.props.set(psString(p), r.property(v, strings.ToLower(psString(p))))
			}
			out = append(out, o)
		}
		return out
	}
	return in
}

func cmdSetLocation(r *psRun, b *psBound) []any {
	p := b.str("path")
	if b.has("literalpath") {
		p = b.str("literalpath")
	}
	host := r.hostPath(p)
	if fi, err := statPath(host); err != nil || !fi.IsDir() {
		r.cmdletError(b, "System.Management.Automation.ItemNotFoundException", "ObjectNotFound", "Cannot find path '%s' because it does not exist.", p)
		return nil
	}
	r.cwd = r.sim.windowsPath(host)
	return nil
}

func cmdGetDate(r *psRun, b *psBound) []any {
	t := time.Now()
	if b.has("date") {
		t, _ = r.cast("datetime", b.vals["date"]).(time.Time)
	}
	if b.has("format") {
		return []any{psDateFormat(t, b.str("format"))}
	}
	return []any{t}
}

func cmdStartSleep(r *psRun, b *psBound) []any {
	d := time.Duration(psFloat(mustNumber(b.vals["seconds"])) * float64(time.Second))
	if b.has("milliseconds") {
		d = time.Duration(psFloat(mustNumber(b.vals["milliseconds"])) * float64(time.Millisecond))
	}
	select {
	case <-time.After(d):
	case <-r.ctx.Done():
		panic(&psExitFlow{code: 1})
	}
	return nil
}

func cmdJoinPath(r *psRun, b *psBound) []any {
	return []any{psJoinPath(b.str("path"), b.str("childpath"))}
}

// psJoinPath joins Windows path parts with one backslash between them.
func psJoinPath(parts ...string) string {
	out := ""
	for _, p := range parts {
		switch {
		case out == "":
			out = p
		case p == "":
		case len(p) > 1 && p[1] == ':' || strings.HasPrefix(p, `\\`):
			out = p
		default:
			out = strings.TrimRight(out, `\/`) + `\` + strings.TrimLeft(p, `\/`)
		}
	}
	return out
}

func cmdSplitPath(r *psRun, b *psBound) []any {
	p := b.str("path")
	if b.has("literalpath") {
		p = b.str("literalpath")
	}
	p = strings.TrimRight(p, `\/`)
	i := strings.LastIndexAny(p, `\/`)
	if b.switches["leaf"] {
		return []any{p[i+1:]}
	}
	switch {
	case i < 0:
		return []any{""}
	case i == 2 && p[1] == ':':
		return []any{p[:3]}
	}
	return []any{p[:i]}
}
