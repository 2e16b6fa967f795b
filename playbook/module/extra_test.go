package module

import (
	"context"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// TestShSteps runs a script of steps with the local transport and checks
// that each step's stdout, stderr and rc come back apart, output without a
// final newline and info lines included.
func TestShSteps(t *testing.T) {
	s := newShSteps()
	s.step("a", `printf 'no newline'; printf 'err a' >&2`)
	s.line(`echo "$T-info x"`)
	s.step("b", `echo one; echo two >&2; false`)
	s.step("c", `cat`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	target := &remote.Target{Name: "localhost", Transport: remote.KindLocal}
	tr, err := local.Dialer{}.Dial(ctx, *target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	out, err := NewHost(tr, target, Become{}, nil).Run(ctx, Command{Script: s.String(), Stdin: []byte("in\n")})
	if err != nil {
		t.Fatal(err)
	}
	got := s.parse(out)
	want := map[string]shStep{
		"a": {Stdout: "no newline", Stderr: "err a", RC: 0},
		"b": {Stdout: "one\n", Stderr: "two\n", RC: 1},
		"c": {Stdout: "in\n", RC: 0},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("step %s: %+v, want %+v\nstdout %q\nstderr %q", name, got[name], w, out.Stdout, out.Stderr)
		}
	}
}
