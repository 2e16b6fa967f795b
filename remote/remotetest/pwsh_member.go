package remotetest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// member evaluates .Property, .Method(args), [Type]::Member and
// [Type]::Method(args).
func (r *psRun) member(e *psMember) any {
	obj := r.eval(e.obj)
	args := make([]any, len(e.args))
	for i, a := range e.args {
		args[i] = r.eval(a)
	}
	if e.call {
		defer func() {
			if x := recover(); x != nil {
				// A .NET exception reaches the script wrapped, as in PowerShell.
				if pe, ok := x.(*psError); ok && pe.inner == nil && !strings.HasPrefix(pe.typ, "System.Management.Automation.") {
					x = psMethodError(e.spelled, len(args), pe)
				} else if ok && pe.inner != nil && pe.typ == psMethodInvocation {
					x = psMethodError(e.spelled, len(args), pe.inner) // the method's name as written
				}
				panic(x)
			}
		}()
	}
	if e.static {
		t, ok := obj.(psTypeLit)
		if !ok {
			psThrow("System.Management.Automation.RuntimeException", "Unable to find a static member %s on a value that is no type", e.name)
		}
		return r.static(t.name, e.name, e.call, args)
	}
	if e.call {
		return r.method(obj, e.name, args)
	}
	return r.property(obj, e.name)
}

// property reads a property; a missing one is $null, as PowerShell's
// (not strict mode). On an array it is the property of every element.
func (r *psRun) property(obj any, name string) any {
	switch o := obj.(type) {
	case *psHash:
		switch name {
		case "count":
			if _, ok := o.get(name); !ok {
				return int64(len(o.keys))
			}
		case "keys":
			if _, ok := o.get(name); !ok {
				return psUnrollStrings(o.keys)
			}
		}
		v, _ := o.get(name)
		return v
	case *psObject:
		v, _ := o.props.get(name)
		return v
	case string:
		if name == "length" {
			return int64(len([]rune(o)))
		}
	case []byte:
		if name == "length" || name == "count" {
			return int64(len(o))
		}
	case []any:
		if name == "count" || name == "length" {
			return int64(len(o))
		}
		var out []any
		for _, x := range o {
			out = append(out, psUnroll(r.property(x, name))...)
		}
		return psCollapse(out)
	case time.Time:
		switch name {
		case "year":
			return int64(o.Year())
		case "ticks":
			return o.UnixNano()/100 + 621355968000000000
		}
	case nil:
		return nil
	}
	if name == "count" || name == "length" {
		return int64(1)
	}
	return nil
}

// method calls an instance method.
func (r *psRun) method(obj any, name string, args []any) any {
	str := func(i int) string {
		if i < len(args) {
			return psString(args[i])
		}
		return ""
	}
	switch o := obj.(type) {
	case string:
		switch name {
		case "tolower", "tolowerinvariant":
			return strings.ToLower(o)
		case "toupper", "toupperinvariant":
			return strings.ToUpper(o)
		case "trim":
			if len(args) > 0 {
				return strings.Trim(o, str(0))
			}
			return strings.TrimSpace(o)
		case "trimend":
			if len(args) > 0 {
				return strings.TrimRight(o, str(0))
			}
			return strings.TrimRight(o, " \t\r\n")
		case "trimstart":
			if len(args) > 0 {
				return strings.TrimLeft(o, str(0))
			}
			return strings.TrimLeft(o, " \t\r\n")
		case "startswith":
			return strings.HasPrefix(strings.ToLower(o), strings.ToLower(str(0)))
		case "endswith":
			return strings.HasSuffix(strings.ToLower(o), strings.ToLower(str(0)))
		case "contains":
			return strings.Contains(o, str(0))
		case "replace":
			return strings.ReplaceAll(o, str(0), str(1))
		case "split":
			return psUnrollStrings(strings.FieldsFunc(o, func(c rune) bool { return strings.ContainsRune(str(0), c) }))
		case "substring":
			rs := []rune(o)
			start := int(psFloat(mustNumber(args[0])))
			if start > len(rs) {
				psThrow("System.ArgumentOutOfRangeException", "startIndex cannot be larger than length of string.")
			}
			if len(args) > 1 {
				n := int(psFloat(mustNumber(args[1])))
				if start+n > len(rs) {
					psThrow("System.ArgumentOutOfRangeException", "Index and length must refer to a location within the string.")
				}
				return string(rs[start : start+n])
			}
			return string(rs[start:])
		case "indexof":
			return int64(strings.Index(o, str(0)))
		case "padleft":
			n := int(psFloat(mustNumber(args[0])))
			pad := " "
			if len(args) > 1 {
				pad = str(1)
			}
			for len([]rune(o)) < n {
				o = pad + o
			}
			return o
		case "tostring":
			return o
		}
	case *psHash:
		switch name {
		case "containskey", "contains":
			_, ok := o.get(str(0))
			return ok
		case "add":
			if _, ok := o.get(str(0)); ok {
				psThrow("System.ArgumentException", "Item has already been added. Key in dictionary: '%s'", str(0))
			}
			o.set(str(0), args[1])
			return nil
		case "remove":
			o.remove(str(0))
			return nil
		}
	case []any:
		if name == "contains" {
			for _, x := range o {
				if psEqual(x, args[0]) {
					return true
				}
			}
			return false
		}
	case time.Time:
		switch name {
		case "tofiletimeutc", "tofiletime":
			return o.UnixNano()/100 + 116444736000000000
		case "touniversaltime":
			return o.UTC()
		case "addseconds":
			return o.Add(time.Duration(psFloat(mustNumber(args[0])) * float64(time.Second)))
		case "tostring":
			if len(args) > 0 {
				return psDateFormat(o, str(0))
			}
		}
	case *psObject:
		if f, ok := o.methods[name]; ok {
			v, err := f(args)
			if err != nil {
				panic(psMethodError(name, len(args), err))
			}
			return v
		}
	}
	switch name {
	case "tostring":
		return psString(obj)
	case "gettype":
		t := newPSObject("System.RuntimeType")
		t.props.set("FullName", psTypeName(obj))
		t.props.set("Name", psTypeName(obj)[strings.LastIndexByte(psTypeName(obj), '.')+1:])
		t.str = psTypeName(obj)
		return t
	}
	psThrow("System.Management.Automation.RuntimeException", "Method invocation failed because [%s] does not contain a method named '%s'.", psTypeName(obj), name)
	return nil
}

func mustNumber(v any) any {
	n, err := psNumber(v)
	if err != nil {
		psThrow("System.Management.Automation.RuntimeException", "%v", err)
	}
	return n
}

// psDateFormat formats a DateTime with the .NET custom format specifiers
// yyyy MM dd HH mm ss and fff...
func psDateFormat(t time.Time, f string) string {
	repl := strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02", "HH", "15", "mm", "04", "ss", "05", "ffffff", "000000", "fff", "000")
	return t.Format(repl.Replace(f))
}

// static calls a static member of a .NET type.
func (r *psRun) static(typ, name string, call bool, args []any) any {
	str := func(i int) string {
		if i < len(args) {
			return psString(args[i])
		}
		return ""
	}
	key := typ + "::" + name
	switch key {
	case "datetime::utcnow":
		return time.Now().UTC()
	case "datetime::now":
		return time.Now()
	case "environment::machinename":
		return r.sim.ComputerName
	case "environment::username":
		return r.env["USERNAME"]
	case "environment::newline":
		return "\r\n"
	case "environment::expandenvironmentvariables":
		return regexp.MustCompile(`%([^%]+)%`).ReplaceAllStringFunc(str(0), func(m string) string {
			if v, ok := r.env[strings.ToUpper(m[1:len(m)-1])]; ok {
				return v
			}
			return m
		})
	case "convert::frombase64string":
		b, err := base64.StdEncoding.DecodeString(str(0))
		if err != nil {
			psThrow("System.FormatException", "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.")
		}
		return b
	case "guid::newguid":
		var b [16]byte
		_, _ = rand.Read(b[:])
		g := newPSObject("System.Guid")
		h := hex.EncodeToString(b[:])
		g.str = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		g.methods = map[string]func([]any) (any, error){"tostring": func(a []any) (any, error) {
			switch f := strings.ToUpper(psJoinArgs(a)); f {
			case "", "D":
				return g.str, nil
			case "N":
				return h, nil
			case "B":
				return "{" + g.str + "}", nil
			default:
				return nil, &psError{typ: "System.FormatException", msg: "Format String can be only \"D\", \"d\", \"N\", \"n\", \"P\", \"p\", \"B\", \"b\", \"X\" or \"x\"."}
			}
		}}
		return g
	case "management.automation.scriptblock::create", "scriptblock::create":
		block, err := parsePowerShell(str(0))
		if err != nil {
			psThrow("System.Management.Automation.ParseException", "%v", err)
		}
		return &psScript{block: block}
	case "text.encoding::utf8":
		enc := newPSObject("System.Text.UTF8Encoding")
		enc.methods = map[string]func([]any) (any, error){
			"getstring": func(a []any) (any, error) { b, _ := a[0].([]byte); return string(b), nil },
			"getbytes":  func(a []any) (any, error) { return []byte(psString(a[0])), nil },
		}
		return enc
	}
	if typ == "console" {
		return r.consoleStatic(name)
	}
	if v, ok := r.dotnetStatic(typ, name, args); ok {
		return v
	}
	if strings.HasPrefix(typ, "io.") {
		return r.fileStatic(typ, name, args)
	}
	psThrow("System.Management.Automation.RuntimeException", "the simulator does not implement [%s]::%s", typ, name)
	return nil
}

// fileStatic is [IO.File], [IO.Directory] and [IO.Path].
func (r *psRun) fileStatic(typ, name string, args []any) any {
	arity := map[string]int{"writeallbytes": 2, "writealltext": 2, "copy": 2, "combine": 1}
	if n := max(arity[name], 1); len(args) < n {
		psThrow("System.Management.Automation.MethodException", "Cannot find an overload for \"%s\" and the argument count: \"%d\".", name, len(args))
	}
	str := func(i int) string {
		if i < len(args) {
			return psString(args[i])
		}
		return ""
	}
	fail := func(err error) {
		if err != nil {
			panic(psMethodError(name, len(args), &psError{typ: psIOErrorType(err), msg: r.sim.ioMessage(err)}))
		}
	}
	switch typ + "::" + name {
	case "io.file::exists":
		fi, err := os.Stat(r.hostPath(str(0)))
		return err == nil && !fi.IsDir()
	case "io.directory::exists":
		fi, err := os.Stat(r.hostPath(str(0)))
		return err == nil && fi.IsDir()
	case "io.file::readallbytes":
		b, err := os.ReadFile(r.hostPath(str(0)))
		fail(err)
		return b
	case "io.file::readalltext":
		b, err := os.ReadFile(r.hostPath(str(0)))
		fail(err)
		return psDecodeText(b)
	case "io.file::writeallbytes", "io.file::writealltext":
		data, ok := args[1].([]byte)
		if !ok {
			data = []byte(str(1))
		}
		fail(r.sim.writeFile(r.hostPath(str(0)), data))
		return nil
	case "io.file::delete":
		err := os.Remove(r.hostPath(str(0)))
		if !os.IsNotExist(err) {
			fail(err)
		}
		return nil
	case "io.file::copy":
		b, err := os.ReadFile(r.hostPath(str(0)))
		fail(err)
		if _, err := os.Stat(r.hostPath(str(1))); err == nil && !psBool(args[min(2, len(args)-1)]) {
			fail(os.ErrExist)
		}
		fail(r.sim.writeFile(r.hostPath(str(1)), b))
		return nil
	case "io.directory::createdirectory":
		fail(os.MkdirAll(r.hostPath(str(0)), 0o755))
		return r.sim.item(r.hostPath(str(0)))
	case "io.path::combine":
		parts := make([]string, len(args))
		for i := range args {
			parts[i] = str(i)
		}
		return psJoinPath(parts...)
	case "io.path::getfilename":
		p := str(0)
		return p[strings.LastIndexAny(p, `\/`)+1:]
	case "io.path::getdirectoryname":
		p := str(0)
		i := strings.LastIndexAny(p, `\/`)
		if i <= 2 && len(p) > 2 && p[1] == ':' {
			return p[:3]
		}
		if i < 0 {
			return ""
		}
		return p[:i]
	case "io.path::getfullpath":
		return r.fullPath(str(0))
	case "io.path::gettemppath":
		return r.env["TEMP"] + `\`
	}
	psThrow("System.Management.Automation.RuntimeException", "the simulator does not implement [%s]::%s", typ, name)
	return nil
}

const psMethodInvocation = "System.Management.Automation.MethodInvocationException"

// psMethodError is the error of a .NET method that threw err: PowerShell
// wraps it in a MethodInvocationException (err its InnerException).
func psMethodError(name string, nargs int, err error) *psError {
	inner, ok := err.(*psError)
	if !ok {
		inner = &psError{typ: "System.Exception", msg: err.Error()}
	}
	return &psError{typ: psMethodInvocation, category: "NotSpecified", inner: inner,
		msg: fmt.Sprintf("Exception calling \"%s\" with \"%d\" argument(s): \"%s\"", name, nargs, inner.msg)}
}

// psDecodeText decodes file bytes as .NET does: a UTF-8 or UTF-16 BOM
// decides, UTF-8 otherwise.
func psDecodeText(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return string(b[3:])
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		s, err := decodeNTLMString(b[2:], true)
		if err == nil {
			return s
		}
	}
	return string(b)
}
