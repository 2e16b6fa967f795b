package remotetest

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/remotectl/remotectl/remote"
)

func TestFakeDialScripts(t *testing.T) {
	refused := remote.Errorf(remote.ClassRefused, "dial", "connection refused")
	f := &Fake{Scripts: map[string]Script{
		"down":  {DialErr: refused},
		"flaky": {DialErr: refused, DialFailures: 1},
	}}
	ctx := context.Background()
	for range 2 {
		if _, err := f.Dial(ctx, remote.Target{Name: "down"}); !errors.Is(err, remote.ClassRefused) {
			t.Errorf("down: Dial err = %v; want refused every time", err)
		}
	}
	if _, err := f.Dial(ctx, remote.Target{Name: "flaky"}); err == nil {
		t.Error("flaky: first Dial succeeded; want refused")
	}
	tr, err := f.Dial(ctx, remote.Target{Name: "flaky"})
	if err != nil {
		t.Fatalf("flaky: second Dial err = %v; want success", err)
	}
	if f.Dials("down") != 2 || f.Dials("flaky") != 2 || f.Open() != 1 {
		t.Errorf("dials down=%d flaky=%d open=%d; want 2, 2, 1", f.Dials("down"), f.Dials("flaky"), f.Open())
	}
	if err := tr.Close(); err != nil || f.Open() != 0 {
		t.Errorf("Close = %v, open = %d; want nil, 0", err, f.Open())
	}
	if err := tr.Close(); err == nil {
		t.Error("second Close succeeded; want an error so double closes show up in tests")
	}
	if _, err := tr.Run(ctx, &remote.Cmd{Shell: "true"}); err == nil {
		t.Error("Run after Close succeeded; want an error")
	}
}

func TestFakeDialDelayHonoursContext(t *testing.T) {
	f := &Fake{Default: Script{DialDelay: time.Hour}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := f.Dial(ctx, remote.Target{Name: "h"}); !errors.Is(err, remote.ClassTimeout) {
		t.Errorf("Dial err = %v; want a timeout", err)
	}
}

func TestFakeRunScripts(t *testing.T) {
	f := &Fake{Scripts: map[string]Script{
		"ok":   {Output: []Chunk{Stdout("a\n"), Stderr("b\n"), Stdout("c")}, ExitCode: 2, Signal: "TERM"},
		"lost": {Output: []Chunk{Stdout("par")}, Lost: true},
		"hung": {Output: []Chunk{Stdout("x\n")}, Hang: true},
		"slow": {Delay: time.Hour},
	}}
	run := func(ctx context.Context, host string) (string, string, remote.Result, error) {
		t.Helper()
		tr, err := f.Dial(context.Background(), remote.Target{Name: host})
		if err != nil {
			t.Fatalf("%s: Dial: %v", host, err)
		}
		defer tr.Close()
		var out, errOut bytes.Buffer
		res, err := tr.Run(ctx, &remote.Cmd{Args: []string{"cmd", host}, Stdout: &out, Stderr: &errOut})
		return out.String(), errOut.String(), res, err
	}

	out, errOut, res, err := run(context.Background(), "ok")
	if out != "a\nc" || errOut != "b\n" || res.ExitCode != 2 || res.Signal != "TERM" || err != nil {
		t.Errorf("ok: %q %q %+v %v; want scripted output, exit 2, TERM", out, errOut, res, err)
	}
	out, _, _, err = run(context.Background(), "lost")
	if out != "par" || !errors.Is(err, remote.ClassLost) {
		t.Errorf("lost: %q %v; want partial output and ClassLost", out, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	out, _, _, err = run(ctx, "hung")
	if out != "x\n" || !errors.Is(err, remote.ClassTimeout) {
		t.Errorf("hung: %q %v; want output then a timeout", out, err)
	}
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, _, _, err = run(cancelled, "slow"); !errors.Is(err, remote.ClassCancelled) {
		t.Errorf("slow, cancelled: %v; want ClassCancelled", err)
	}

	cmds := f.Commands("ok")
	if len(cmds) != 1 || strings.Join(cmds[0].Args, " ") != "cmd ok" || cmds[0].Stdout != nil {
		t.Errorf("Commands(ok) = %+v; want the one command, without its streams", cmds)
	}
	if f.MaxRunning() != 1 {
		t.Errorf("MaxRunning = %d; want 1", f.MaxRunning())
	}
}

func TestFakeFiles(t *testing.T) {
	f := &Fake{Default: Script{Files: map[string]string{"/etc/motd": "hi"}, OS: remote.OSWindows}}
	ctx := context.Background()
	tr, err := f.Dial(ctx, remote.Target{Name: "h"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if tr.OS() != remote.OSWindows {
		t.Errorf("OS = %q; want windows", tr.OS())
	}
	var got bytes.Buffer
	if err := tr.Download(ctx, "/etc/motd", &got); err != nil || got.String() != "hi" {
		t.Errorf("Download = %q, %v; want the scripted file", got.String(), err)
	}
	if err := tr.Download(ctx, "/nope", &got); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Download of a missing file: %v; want fs.ErrNotExist", err)
	}
	if err := tr.Upload(ctx, "/tmp/x", strings.NewReader("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if content, ok := f.File("h", "/tmp/x"); !ok || string(content) != "data" {
		t.Errorf("uploaded file = %q, %v; want \"data\"", content, ok)
	}
}
