package playbook

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
	"github.com/remotectl/remotectl/report"
)

// TestShowOrdersPrompts: with SyncPrompts and Show, each question comes
// after everything reported before it is rendered — the task header of a
// pause before its prompt, the results of the task before --step's next
// question — however slowly the renderer writes.
func TestShowOrdersPrompts(t *testing.T) {
	inv := testInventory(t, 3)
	pb := parseTest(t, inv, "- hosts: fleet\n  gather_facts: false\n  tasks:\n"+
		"    - name: one\n      debug: {msg: one}\n"+
		"    - name: wait\n      pause: {prompt: Go on}\n"+
		"    - name: two\n      debug: {msg: two}\n")
	plans, err := Prepare(pb, inv, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string // what was rendered and asked, in order
	ask := func(msg string, _ bool) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, "ASK "+msg)
		return "y", nil
	}
	render := func(events <-chan remote.Event) {
		for ev := range events {
			pe, ok := report.PlayEventOf(ev)
			if !ok {
				continue
			}
			time.Sleep(time.Millisecond) // a slow terminal: the run goes on meanwhile
			mu.Lock()
			switch pe.Kind {
			case EventTaskStart:
				seen = append(seen, "TASK "+pe.Task)
			case EventResult:
				seen = append(seen, "RESULT "+pe.Result.Task)
			}
			mu.Unlock()
		}
	}
	opts := Options{Inventory: inv, Dialer: &remotetest.Fake{}, Prompt: ask, SyncPrompts: true, Step: true,
		Target: func(h *inventory.Host) remote.Target {
			return remote.Target{Name: h.Name, Address: h.Address, Vars: h.Vars, Transport: remote.KindSSH}
		}}
	events, _ := Run(context.Background(), pb, plans, opts)
	Show(events, render)
	index := func(s string, nth int) int {
		n := 0
		for i, x := range seen {
			if x == s {
				if n == nth {
					return i
				}
				n++
			}
		}
		t.Fatalf("%q (#%d) not seen in %q", s, nth, seen)
		return -1
	}
	for _, order := range [][2]string{
		{"RESULT one", "ASK " + stepPrompt("wait")},
		{"TASK wait", "ASK [wait]\nGo on:"},
		{"RESULT wait", "ASK " + stepPrompt("two")},
	} {
		for nth := 0; nth < syncSeenCount(seen, order[0]); nth++ {
			if index(order[0], nth) > index(order[1], 0) {
				t.Errorf("%q #%d after %q: %q", order[0], nth, order[1], seen)
			}
		}
	}
	if n := syncSeenCount(seen, "RESULT one"); n != 3 {
		t.Errorf("%d results of one, want 3: %q", n, seen)
	}
}

// syncSeenCount is how many times s is in list.
func syncSeenCount(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
