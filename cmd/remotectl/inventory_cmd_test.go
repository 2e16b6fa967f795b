package main

import (
	"context"
	"encoding/json"
	"github.com/remotectl/remotectl/report"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/internal/settings"
	"github.com/remotectl/remotectl/runrec"
)

// TestRunInventoryCommands runs list, show and graph on an inventory with
// injected streams, text and JSON.
func TestRunInventoryCommands(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{Hosts: "all"}, nil, "web01", "db01")
	o := &inventoryOptions{IO: ff.f.IO, Settings: ff.f.Settings, Inventory: ff.f.Inventory, Host: "web01", Group: "all"}
	if err := runInventoryList(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if out := ff.out.String(); !strings.HasPrefix(out, "HOST ") || !strings.Contains(out, "\nweb01 ") || !strings.Contains(out, " ssh ") {
		t.Errorf("list:\n%s", out)
	}
	if ff.err.String() != "2 hosts\n" {
		t.Errorf("list: stderr %q, want the count", ff.err)
	}
	ff.out.Reset()
	if err := runInventoryGraph(context.Background(), o); err != nil || ff.out.String() != "@all:\n  |--@ungrouped:\n  |    |--web01\n  |    |--db01\n" {
		t.Errorf("graph: %v\n%s", err, ff.out)
	}
	ff.out.Reset()
	o.Settings = func() globals { return globals{settings.Globals{Output: "json"}} }
	if err := runInventoryShow(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var v struct{ Name, Transport string }
	if err := json.Unmarshal(ff.out.Bytes(), &v); err != nil || v.Name != "web01" || v.Transport != "ssh" {
		t.Errorf("show -o json: %v %+v\n%s", err, v, ff.out)
	}
	o.Host = "nope"
	if err := runInventoryShow(context.Background(), o); exitCodeOf(err) != report.ExitUsage {
		t.Errorf("show of an unknown host: %v, want a usage error", err)
	}
}

// TestRunsListAndShow lists and shows runs of a store with injected
// streams; an unknown run is a usage error.
func TestRunsListAndShow(t *testing.T) {
	ff := newFakeFleet(t, settings.Globals{}, nil)
	store := runrec.Store{Dir: t.TempDir()}
	o := &runsOptions{IO: ff.f.IO, Store: func() (runrec.Store, error) { return store, nil }}
	if err := runsList(o); err != nil || !strings.HasPrefix(ff.err.String(), "no runs recorded yet") {
		t.Errorf("empty history: %v, stderr %q", err, ff.err)
	}
	o.IDs = []string{"last"}
	if err := runsShow(o); exitCodeOf(err) != report.ExitUsage {
		t.Errorf("show last of an empty history: %v, want a usage error", err)
	}
}
