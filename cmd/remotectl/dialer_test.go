package main

import "testing"

// TestTransportRowsDeclareTheirSettings checks that each row of the
// registry carries the settings of its own kind.
func TestTransportRowsDeclareTheirSettings(t *testing.T) {
	for _, tr := range builtinTransports() {
		if tr.Settings.Kind != tr.Kind {
			t.Errorf("row %s declares the settings of %q", tr.Kind, tr.Settings.Kind)
		}
	}
}
