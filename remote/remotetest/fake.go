// Package remotetest holds test doubles and test servers for remotectl's
// transports. It is imported only from tests and test tools.
package remotetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"sync"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// Script is what one fake host does. The zero Script is a reachable Linux
// host whose commands exit 0 at once without output.
type Script struct {
	// DialErr, when set, is returned by Dial: always, or only by the first
	// DialFailures dials when that is positive (a transient failure that
	// clears). Build it with remote.Errorf to give it a class.
	DialErr      error
	DialFailures int
	DialDelay    time.Duration // Dial takes this long (or until its ctx is done)

	// Run waits Delay, writes Output in order, then hangs until its ctx is
	// done when Hang is set, fails with a ClassLost error when Lost is set,
	// and otherwise returns ExitCode and Signal. A ctx done while waiting
	// ends Run with a ctx-derived error, as a real transport does.
	Delay    time.Duration
	Output   []Chunk
	Hang     bool
	Lost     bool
	ExitCode int
	Signal   string

	OS    remote.OSFamily   // "" means remote.OSLinux
	Files map[string]string // files Download can read; Upload adds to them
}

// Chunk is one write of output by a fake command.
type Chunk struct {
	Stream remote.Stream
	Data   string
}

// Stdout returns a chunk written to standard output.
func Stdout(data string) Chunk { return Chunk{Stream: remote.Stdout, Data: data} }

// Stderr returns a chunk written to standard error.
func Stderr(data string) Chunk { return Chunk{Stream: remote.Stderr, Data: data} }

// Fake is a remote.Dialer of scripted hosts. It records what was asked of it
// so tests can check dial counts, concurrency, commands and leaked
// connections. Set Scripts and Default before the first Dial.
type Fake struct {
	Scripts map[string]Script // by Target.Name
	Default Script            // for hosts without a script

	mu         sync.Mutex
	dials      map[string]int
	commands   map[string][]remote.Cmd
	files      map[string]map[string][]byte
	open       int // transports dialled and not yet closed
	running    int // commands running now
	maxRunning int
}

// Dial implements remote.Dialer.
func (f *Fake) Dial(ctx context.Context, t remote.Target) (remote.Transport, error) {
	s := f.script(t.Name)
	f.mu.Lock()
	if f.dials == nil {
		f.dials = make(map[string]int)
	}
	f.dials[t.Name]++
	attempt := f.dials[t.Name]
	f.mu.Unlock()

	if err := wait(ctx, s.DialDelay, "dial"); err != nil {
		return nil, err
	}
	if s.DialErr != nil && (s.DialFailures <= 0 || attempt <= s.DialFailures) {
		return nil, s.DialErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open++
	if f.files == nil {
		f.files = make(map[string]map[string][]byte)
	}
	if f.files[t.Name] == nil {
		files := make(map[string][]byte, len(s.Files))
		for name, content := range s.Files {
			files[name] = []byte(content)
		}
		f.files[t.Name] = files
	}
	return &fakeTransport{fake: f, host: t.Name, script: s}, nil
}

func (f *Fake) script(host string) Script {
	if s, ok := f.Scripts[host]; ok {
		return s
	}
	return f.Default
}

// Dials returns how many times host was dialled.
func (f *Fake) Dials(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dials[host]
}

// Commands returns the commands run on host, in order, without their
// streams.
func (f *Fake) Commands(host string) []remote.Cmd {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]remote.Cmd(nil), f.commands[host]...)
}

// File returns the content of a file on host (scripted or uploaded).
func (f *Fake) File(host, name string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	content, ok := f.files[host][name]
	return bytes.Clone(content), ok
}

// Open returns how many transports were dialled and not closed.
func (f *Fake) Open() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open
}

// MaxRunning returns the largest number of commands that ran at once.
func (f *Fake) MaxRunning() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxRunning
}

type fakeTransport struct {
	fake   *Fake
	host   string
	script Script

	mu     sync.Mutex
	closed bool
}

func (t *fakeTransport) Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error) {
	if err := t.begin(cmd); err != nil {
		return remote.Result{}, err
	}
	defer t.end()
	start := time.Now()
	s := t.script
	if err := wait(ctx, s.Delay, "run"); err != nil {
		return remote.Result{}, err
	}
	for _, c := range s.Output {
		w := cmd.Stdout
		if c.Stream == remote.Stderr {
			w = cmd.Stderr
		}
		if w == nil {
			continue
		}
		if _, err := io.WriteString(w, c.Data); err != nil {
			return remote.Result{}, remote.Wrap(remote.ClassOther, "run", err)
		}
	}
	switch {
	case s.Hang:
		<-ctx.Done()
		return remote.Result{}, ctxError(ctx, "run")
	case s.Lost:
		return remote.Result{}, remote.Errorf(remote.ClassLost, "run", "%s: connection lost (scripted)", t.host)
	}
	return remote.Result{ExitCode: s.ExitCode, Signal: s.Signal, Duration: time.Since(start)}, nil
}

// begin records cmd and counts it as running.
func (t *fakeTransport) begin(cmd *remote.Cmd) error {
	if t.isClosed() {
		return remote.Errorf(remote.ClassOther, "run", "%s: transport used after Close", t.host)
	}
	f := t.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.commands == nil {
		f.commands = make(map[string][]remote.Cmd)
	}
	rec := *cmd
	rec.Stdin, rec.Stdout, rec.Stderr = nil, nil, nil
	rec.Args = append([]string(nil), cmd.Args...)
	rec.Env = maps.Clone(cmd.Env)
	f.commands[t.host] = append(f.commands[t.host], rec)
	f.running++
	f.maxRunning = max(f.maxRunning, f.running)
	return nil
}

func (t *fakeTransport) end() {
	t.fake.mu.Lock()
	defer t.fake.mu.Unlock()
	t.fake.running--
}

func (t *fakeTransport) Upload(ctx context.Context, dst string, src io.Reader, mode fs.FileMode) error {
	if t.isClosed() {
		return remote.Errorf(remote.ClassOther, "upload", "%s: transport used after Close", t.host)
	}
	content, err := io.ReadAll(src)
	if err != nil {
		return remote.Wrap(remote.ClassOther, "upload", err)
	}
	if ctx.Err() != nil {
		return ctxError(ctx, "upload")
	}
	t.fake.mu.Lock()
	defer t.fake.mu.Unlock()
	t.fake.files[t.host][dst] = content
	return nil
}

func (t *fakeTransport) Download(ctx context.Context, src string, dst io.Writer) error {
	if t.isClosed() {
		return remote.Errorf(remote.ClassOther, "download", "%s: transport used after Close", t.host)
	}
	if ctx.Err() != nil {
		return ctxError(ctx, "download")
	}
	content, ok := t.fake.File(t.host, src)
	if !ok {
		return remote.Errorf(remote.ClassOther, "download", "%s: %s: %w", t.host, src, fs.ErrNotExist)
	}
	if _, err := dst.Write(content); err != nil {
		return remote.Wrap(remote.ClassOther, "download", err)
	}
	return nil
}

func (t *fakeTransport) OS() remote.OSFamily {
	if t.script.OS == remote.OSUnknown {
		return remote.OSLinux
	}
	return t.script.OS
}

func (t *fakeTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return fmt.Errorf("%s: transport closed twice", t.host)
	}
	t.closed = true
	t.fake.mu.Lock()
	t.fake.open--
	t.fake.mu.Unlock()
	return nil
}

func (t *fakeTransport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// wait sleeps for d unless ctx is done first, which it reports as op's error.
func wait(ctx context.Context, d time.Duration, op string) error {
	if err := ctx.Err(); err != nil {
		return ctxError(ctx, op)
	}
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctxError(ctx, op)
	}
}

// ctxError classifies the end of ctx as a transport would.
func ctxError(ctx context.Context, op string) error {
	return &remote.Error{Class: remote.ClassOf(ctx.Err()), Op: op, Err: ctx.Err()}
}
