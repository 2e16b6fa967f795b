package playbook

import (
	"fmt"
	"strings"

	"github.com/remotectl/remotectl/report"
)

// The result model of a run lives in report, which renders it in every
// output format; these are its names in the words of playbooks.
type (
	// Status is the outcome of one task on one host.
	Status = report.TaskStatus
	// TaskResult is one task (or one loop item of it) on one host.
	TaskResult = report.TaskResult
	// HostStats is a host's line of the recap.
	HostStats = report.PlayHostStats
	// PlayReport is what happened in one play.
	PlayReport = report.PlayReport
	// Report is a whole run: every play, every task result, the recap.
	Report = report.PlayRun
	// EventKind says what an Event reports.
	EventKind = report.PlayEventKind
	// Event is what the executor reports as the run goes (Options.Observe).
	Event = report.PlayEvent
)

// Task statuses.
const (
	StatusOK          = report.TaskOK
	StatusChanged     = report.TaskChanged
	StatusFailed      = report.TaskFailed
	StatusSkipped     = report.TaskSkipped
	StatusUnreachable = report.TaskUnreachable
	StatusCancelled   = report.TaskCancelled
)

// Event kinds.
const (
	EventPlayStart  = report.PlayStart
	EventBatchStart = report.BatchStart
	EventTaskStart  = report.TaskStart
	EventResult     = report.TaskDone
	EventPlayEnd    = report.PlayEnd
)

// about describes a play's hosts and how they are cut, for the header of
// the play: "(4 hosts, serial 1,50%, max_fail 1, strategy free)".
func (p *Play) about(hosts int) string {
	parts := []string{fmt.Sprintf("%d hosts", hosts)}
	if hosts == 1 {
		parts[0] = "1 host"
	}
	if len(p.Serial) > 0 {
		steps := make([]string, len(p.Serial))
		for i, s := range p.Serial {
			steps[i] = s.String()
		}
		parts = append(parts, "serial "+strings.Join(steps, ","))
	}
	if p.MaxFail != nil {
		parts = append(parts, "max_fail "+p.MaxFail.String())
	}
	if p.MaxFailPercentage != nil {
		parts = append(parts, fmt.Sprintf("max_fail_percentage %d%%", *p.MaxFailPercentage))
	}
	if p.AnyErrorsFatal {
		parts = append(parts, "any_errors_fatal")
	}
	if p.Strategy == Free {
		parts = append(parts, "strategy free")
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
