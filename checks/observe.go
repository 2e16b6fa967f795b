package checks

import (
	"cmp"
	"fmt"
	"time"
)

// observed is what a probe saw of one resource: a value per property, or
// why it could not see them. A probe fills it; judge turns it into results.
type observed struct {
	// err, when set, means nothing could be observed: every property is an
	// Error (never a failure).
	err string
	// absent means the resource does not exist (no such file, port not
	// listening, no HTTP response): properties without a value are skipped,
	// except the first when the check does not test existence itself, which
	// fails with absent as the actual value.
	absent string
	values map[string]value
	// errs are per-property problems (say, a property a platform lacks).
	errs map[string]string
	// notes explain a value (the error behind "reachable: false").
	notes map[string]string
}

func newObserved() *observed {
	return &observed{values: make(map[string]value)}
}

// failure returns an observation that could not be made.
func failure(msg string) *observed { return &observed{err: msg} }

func (o *observed) set(prop string, v value) *observed {
	o.values[prop] = v
	return o
}

// unavailable marks a property as one this host cannot report.
func (o *observed) unavailable(prop, msg string) *observed {
	if o.errs == nil {
		o.errs = make(map[string]string)
	}
	o.errs[prop] = msg
	return o
}

// note attaches an explanation to a property's result.
func (o *observed) note(prop, msg string) *observed {
	if o.notes == nil {
		o.notes = make(map[string]string)
	}
	o.notes[prop] = msg
	return o
}

// outcome is one property's evaluation.
type outcome struct {
	prop     string
	status   Status
	expected string
	actual   string
	message  string
}

// judge evaluates each property the check tests against the observation,
// in the type's order.
func judge(c *Check, o *observed) []outcome {
	sc := schemas[c.Type]
	if sc.required != "" && *sc.prop(sc.required).field(c) == nil {
		return missingRequired(c, sc.required)
	}
	var out []outcome
	absenceReported := false
	skipRest := "" // why the properties after the first are not evaluated
	for _, p := range sc.props {
		m := *p.field(c)
		if m == nil {
			continue
		}
		oc := outcome{prop: p.name, expected: m.Text}
		if skipRest != "" {
			oc.status, oc.message = Skip, skipRest
			out = append(out, oc)
			continue
		}
		v, seen := o.values[p.name]
		switch {
		case m.invalid != "":
			oc.status, oc.message = Error, m.invalid
		case o.err != "":
			oc.status, oc.message = Error, o.err
		case o.errs[p.name] != "":
			oc.status, oc.message = Error, o.errs[p.name]
		case !seen && o.absent != "" && !absenceReported:
			oc.status, oc.actual = Fail, o.absent
			absenceReported = true
		case !seen && o.absent != "":
			oc.status, oc.message = Skip, o.absent
		case !seen:
			oc.status, oc.message = Error, "this property was not observed"
		default:
			if o.absent != "" {
				absenceReported = true // the existence property speaks for the resource
			}
			oc.actual = v.String()
			oc.message = o.notes[p.name]
			oc.status = Fail
			single := c.Matching != nil && !c.Matching.AsReader
			if msg := m.gossError(v, single); msg != "" {
				oc.status, oc.message = Error, msg
			} else if m.matches(v) {
				oc.status = Pass
			}
		}
		out = append(out, oc)
		if len(out) == 1 && oc.status != Pass && stopsAfterFirst(c.Type) {
			skipRest = cmp.Or(o.absent, "not evaluated: "+p.name+" did not pass")
		}
	}
	return out
}

// stopsAfterFirst reports whether goss evaluates a type's other properties
// only when its first (exists, resolvable, status, ...) passes: goss's
// shouldSkip in resource/{dns,file,group,http,interface,mount,package,
// port,registry,user}.go. A command, service, process, kernel-param or addr check
// evaluates them all.
func stopsAfterFirst(typ string) bool {
	switch typ {
	case "dns", "file", "group", "http", "interface", "mount", "package", "port", "registry", "user":
		return true
	}
	return false
}

// missingRequired is goss's verdict on a check without the property it
// always evaluates: that property fails ("Missing required attribute"),
// and the others are skipped, as after any failed first property.
func missingRequired(c *Check, req string) []outcome {
	out := []outcome{{prop: req, status: Fail, expected: "(required)",
		message: fmt.Sprintf("goss requires %s: in every %s check and fails the check without it: add %s: to the check", req, c.Type, req)}}
	for _, oc := range skipped(c, "not evaluated: "+req+": is missing") {
		out = append(out, oc)
	}
	return out
}

// skipped returns a Skip outcome for every property of a check.
func skipped(c *Check, why string) []outcome {
	var out []outcome
	for _, p := range c.Properties() {
		out = append(out, outcome{prop: p, status: Skip, expected: (*schemas[c.Type].prop(p).field(c)).Text, message: why})
	}
	return out
}

// toResults turns a check's outcomes into results for a host.
func toResults(host string, c *Check, vantage Vantage, d time.Duration, outs []outcome) []Result {
	res := make([]Result, len(outs))
	for i, oc := range outs {
		res[i] = Result{
			Host: host, Pos: c.Pos, Type: c.Type, ID: c.ID, Title: c.DisplayTitle(),
			Property: oc.prop, Status: oc.status, Expected: oc.expected, Actual: oc.actual,
			Message: oc.message, Duration: d, Vantage: vantage,
		}
	}
	return res
}
