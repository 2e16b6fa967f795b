package remotetest

// Named blocks, trap and for: the parts of the language that remotectl's
// file transfer scripts (remote/winrm) use beyond the modules' subset.

// runNamedBlocks runs a script made of begin, process and end blocks, in
// the script's scope: begin once, process once per line of standard input
// (read as it comes, each line $_ and $input; once with $null when there
// is no standard input), end once, with $input the lines process left.
func (r *psRun) runNamedBlocks(nb *psNamedBlocks) {
	if nb.begin != nil {
		r.runTop(nb.begin, false)
	}
	if nb.process != nil {
		if r.stdin == nil {
			r.runProcess(nb.process, nil)
		}
		for r.stdin != nil {
			line, err := r.stdin.ReadString('\n')
			if line != "" {
				r.runProcess(nb.process, trimLineEnd(line))
			}
			if err != nil {
				break
			}
		}
		r.inRead, r.input = true, []any{}
	}
	if nb.end != nil {
		r.runTop(nb.end, false)
	}
}

// runProcess runs the process block for one input object.
func (r *psRun) runProcess(b *psBlock, item any) {
	if err := r.ctx.Err(); err != nil {
		panic(&psExitFlow{code: 1})
	}
	r.scopes[0]["_"] = item
	r.scopes[0]["psitem"] = item
	r.inRead, r.input = true, []any{item}
	r.runTop(b, false)
}

func trimLineEnd(line string) string {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// trapped runs a statement of a block with the block's traps: an error
// (terminating, or ending the statement) runs the first trap with $_ the
// error record; then, as PowerShell, the error is written and the block
// goes on with its next statement, unless the trap exits, returns, says
// break (the error propagates) or continue (it is dropped).
func (r *psRun) trapped(traps []*psBlock, s psNode) (out []any) {
	if len(traps) == 0 {
		return r.execStatement(s)
	}
	defer func() {
		if e := recover(); e != nil {
			pe, ok := e.(*psError)
			if !ok {
				panic(e)
			}
			out = append(out, r.runTrap(traps[0], pe)...)
		}
	}()
	return r.exec(s)
}

// runTrap runs a trap's body for the error pe.
func (r *psRun) runTrap(trap *psBlock, pe *psError) (out []any) {
	r.scopes = append(r.scopes, map[string]any{"_": pe.errorRecord(), "psitem": pe.errorRecord()})
	defer func() { r.scopes = r.scopes[:len(r.scopes)-1] }()
	dropped := false
	func() {
		defer func() {
			if e := recover(); e != nil {
				f, ok := e.(*psLoopFlow)
				if !ok {
					panic(e)
				}
				if f.brk {
					panic(pe)
				}
				dropped = true
			}
		}()
		for _, s := range trap.stmts { // its output stays when it says continue
			out = append(out, r.trapped(trap.traps, s)...)
		}
	}()
	r.scopes[0]["?"] = false
	if !dropped {
		r.writeError(pe)
	}
	return out
}

// execFor runs for (init; condition; iterator) { body }.
func (r *psRun) execFor(s *psFor) []any {
	var out []any
	if s.init != nil {
		out = append(out, r.exec(s.init)...)
	}
	for s.cond == nil || psBool(psCollapse(r.evalOut(s.cond))) {
		if err := r.ctx.Err(); err != nil {
			panic(&psExitFlow{code: 1})
		}
		body, brk := r.loopBody(s.body.(*psBlock))
		out = append(out, body...)
		if brk {
			break
		}
		if s.iter != nil {
			out = append(out, r.exec(s.iter)...)
		}
	}
	return out
}
