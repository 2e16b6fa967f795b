package checks

import "time"

// Status is the outcome of one property of one check on one host.
type Status string

const (
	Pass  Status = "pass"
	Fail  Status = "fail"
	Skip  Status = "skip"  // not evaluated: skip: true, or a property it depends on failed
	Error Status = "error" // could not be evaluated (probe failed); never counted as a failure
)

// Vantage is where a property was observed from.
type Vantage string

const (
	FromHost       Vantage = "host"
	FromController Vantage = "controller"
)

// Result is one property of one check on one host: goss's model, one result
// per property, so a report says exactly what was expected and what was seen.
type Result struct {
	Host     string        `json:"host"`
	Pos      string        `json:"pos"`   // file:line of the check
	Type     string        `json:"type"`  // resource type: port, http, dns, ...
	ID       string        `json:"id"`    // resource id as written: "tcp:22", "https://example.com"
	Title    string        `json:"title"` // title: or "type id"
	Property string        `json:"property"`
	Status   Status        `json:"status"`
	Expected string        `json:"expected,omitempty"`
	Actual   string        `json:"actual,omitempty"`
	Message  string        `json:"message,omitempty"` // why it failed, was skipped or errored
	Duration time.Duration `json:"duration_ns"`
	Vantage  Vantage       `json:"vantage"`
}

// Name is the stable name of the check a result belongs to: "type id".
func (r *Result) Name() string { return r.Type + " " + r.ID }
