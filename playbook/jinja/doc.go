// Package jinja is Ansible's template language for remotectl: Jinja2 (the
// gonja engine) configured and extended as ansible-core 2.14 configures it,
// so that the templates of existing playbooks give the same values.
//
// Engine.Render templates a task argument or a variable: text without
// Jinja2 syntax is returned as is; a lone {{ name }} holding a number, a
// bool or None gives that value; other output is a string, read back as a
// list, dict or bool when it is a Python or JSON literal of one (Ansible's
// ansible_eval_concat), except the output of to_json, to_yaml, string and
// their kin, which stays text. Backslashes in string literals inside {{ }}
// are doubled first, as Ansible does, so '\d' written in YAML reaches a
// regex filter as \d. Engine.RenderText renders a template file (always
// text, trailing newlines kept). Engine.Eval evaluates a bare expression to
// Go data; Engine.Conditional evaluates when/changed_when/failed_when/until
// values (bools, strings, lists ANDed) as Ansible's Conditional does.
//
// Undefined is strict: reading an undefined variable or attribute is an
// *Error of Kind Undefined naming it ("'x' is undefined"), unless
// default/d rescues it or a test (is defined) asks. Variables whose values
// hold templates are rendered when a template reads them, recursively,
// with loops and nesting deeper than maxDepth reported as Recursion.
//
// Ansible's filters and tests are implemented in Go over plain data (nil,
// bool, int, float64, string, []any, map[string]any, *omap.Map); Jinja2's
// builtins come from gonja, with those that differ from Python replaced.
// Python regular expressions run on RE2: what RE2 cannot do (lookaround,
// backreferences) is refused with an Unsupported error naming the
// construct. Dicts keep Python's insertion order: the dicts the engine
// builds are *omap.Map, and a *omap.Map reaches gonja as an exec.Dict,
// which gonja iterates in order; a plain Go map has none, its keys come
// out sorted.
//
// Engine.Check and Engine.CheckExpr validate without rendering (syntax,
// and that every filter and test exists), for validation before any
// connection; Names lists the variables a template may read.
//
// # How the playbook package calls it
//
// One Engine per playbook, shared by every host (it is safe for concurrent
// use), made with WithLookups for the lookup plugins remotectl implements
// (env, which marks what it reads as secret). When the playbook is parsed,
// every templated string goes through Check and every condition through
// CheckExpr; a Syntax *Error carries the Line and Col the playbook turns
// into file:line:col, and Names lists the variables checked against those
// some source defines. At run time arguments go through Render (String
// for those that take text), template files through RenderText,
// conditions through Conditional and debug var through Eval. Facts and
// registered results are passed as Unsafe. Magic variables (hostvars,
// groups, group_names...) are plain variables the executor provides.
//
// The differential test runs a table of templates through ansible-playbook
// (Debian's ansible-core, see scripts/test.sh) in one run and compares; the
// outputs are kept in testdata/ansible.golden.json so that TestGolden runs
// without Ansible.
package jinja
