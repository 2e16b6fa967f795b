package local

import (
	"context"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
)

// DoctorSteps are the steps `remotectl doctor` takes for a local host: one,
// which finds nothing to diagnose.
type DoctorSteps struct{}

// Steps returns the one step of a local host; there is nothing to release.
func (DoctorSteps) Steps(remote.Target) ([]doctor.Step, func()) {
	return []doctor.Step{{Name: "local", Run: func(context.Context) doctor.Finding {
		return doctor.Finding{Status: doctor.OK, Summary: "runs on this machine: no network, nothing to diagnose"}
	}}}, func() {}
}
