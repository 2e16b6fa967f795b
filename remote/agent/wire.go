package agent

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/ssh"
)

// The socket protocol. Every message is a frame: one type byte, a
// big-endian uint32 length, then that many bytes. A connection starts with
// one request frame (a JSON-encoded request) from the client:
//
//   - "dial": the agent finds or opens the connection and answers with a
//     reply frame carrying the lease that names it. A held connection comes
//     with the host key it was made with: a client whose known_hosts does
//     not accept it sends a "reject" request, and the agent closes that
//     connection and dials anew (asking for the secrets). The client keeps this
//     connection open for as long as it uses the transport: its end is the
//     release, whatever ended it (Close, a client killed mid-run).
//   - "run", "upload", "download", "puttree", "gettree", "os": one operation on a lease, each on
//     a connection of its own (operations on one transport may run at
//     once). Input (stdin, an uploaded file) flows as data frames under a
//     credit window the agent grants as it consumes them, so the agent
//     reads every frame at once and sees a cancel or the client's end even
//     while the remote command does not read its input. Output (stdout,
//     stderr, a downloaded file) flows as data frames, back-pressured by the
//     socket. The operation ends with a reply frame.
//   - "dialnet": a TCP connection from the host (remote.NetDialer); after
//     the reply, the socket connection carries its bytes, unframed.
//   - "status", "stop": the agent's held connections; its end.
const (
	frameRequest  = 'Q' // JSON request, client → agent
	frameReply    = 'A' // JSON reply, agent → client
	frameInput    = 'i' // stdin or upload bytes, client → agent
	frameInputEnd = 'I' // end of the input
	frameCancel   = 'c' // the client's context is done: payload "deadline" or "cancel"
	frameCredit   = 'w' // the agent consumed uint32 more input bytes
	frameStdout   = 'o' // agent → client
	frameStderr   = 'e'
	frameData     = 'd' // downloaded bytes
	frameProgress = 'p' // a tree copy's progress: uint64 done, uint64 total
)

const (
	// maxFrame bounds a frame's payload; a longer one is a protocol error.
	maxFrame = 1 << 20
	// dataChunk is the largest data frame sent.
	dataChunk = 32 << 10
	// inputWindow is how many input bytes may be in flight unconsumed.
	inputWindow = 128 << 10
)

// request is the first frame of every connection.
type request struct {
	Op    string
	Lease string // run, upload, download, os: the transport's lease
	Dial  *dialRequest
	// Key identifies the connection a dial asks for (connKey of the full
	// request, secrets included): a dial comes with the key alone, and
	// only when no held connection has that key does the agent ask for
	// the full request, secrets included (reply.NeedSecrets).
	Key string
	// Persist is how long the connection a dial leases is held once idle.
	Persist time.Duration
	Run     *runRequest
	Path    string      // upload, download, puttree, gettree: the host's; dialnet: the address
	Local   string      // puttree, gettree: the absolute local path
	Network string      // dialnet
	Mode    fs.FileMode // upload
	// Deadline is the client's context deadline (zero: none): the agent's
	// operation has the same, so it ends as a timeout exactly as it would
	// in the client.
	Deadline time.Time
	// Reason is why a run rejects the held connection a dial offered
	// ("reject": its known_hosts no longer accepts the key).
	Reason string
}

// dialRequest is what decides a connection, as the run would dial it.
type dialRequest struct {
	// Kind is the transport: remote.KindSSH ("" too) or remote.KindWinRM.
	Kind    string
	Target  remote.Target // without Vars
	Options ssh.Options   `json:"-"` // SSH; crosses as optionsJSON
	// WinRM are the options of a WinRM dial.
	WinRM winrmOptions
	// Env holds the values of the environment variables the settings name
	// (password, become password, passphrase, agent socket): the agent
	// dials with the run's environment, not its own.
	Env map[string]string
	// Run identifies the client's run: connections it opens share one SSH
	// dialer (ssh_config, known_hosts and bastions read and opened once).
	Run string
	// Persist is how long the connection is held once idle.
	Persist time.Duration
}

// winrmOptions are the winrm.Options that cross the socket (Warn and
// Getenv stay in the run; the agent reads the run's environment from
// dialRequest.Env).
type winrmOptions struct {
	Password                                         string
	ConnectTimeout, OperationTimeout, CleanupTimeout time.Duration
}

// runRequest is a remote.Cmd without its streams.
type runRequest struct {
	Args       []string
	Shell      string
	Env        map[string]string
	Dir        string
	PTY        bool
	Become     bool
	BecomeUser string
	// BecomeMethod, BecomeFlags and BecomePassword are the Cmd's (the
	// password stays in the agent's memory for the one command).
	BecomeMethod, BecomeFlags, BecomePassword string
	Stdin                                     bool // input frames follow
	Pooled                                    bool
}

// reply ends an operation (or answers a dial, status or stop).
type reply struct {
	// NeedSecrets: no held connection serves the dial; send the full
	// request.
	NeedSecrets bool
	Lease       string
	// HostKey is the key (SSH wire format) a held connection offered to a
	// dial was made with: the run checks it against its own known_hosts,
	// then keeps the lease or rejects it.
	HostKey []byte
	Result  remote.Result
	OS      remote.OSFamily
	Err     *wireError
	Status  *Report
}

// Report is the agent's state (remotectl agent status).
type Report struct {
	Pid     int
	Started time.Time
	Held    []Held
}

// Held describes one connection the agent holds (remotectl agent status).
type Held struct {
	Host     string // the inventory name
	Addr     string // user@address:port
	Created  time.Time
	LastUsed time.Time
	Sessions int  // operations run on it
	InUse    bool // leased by a run now
}

// writeFrame writes one frame.
func writeFrame(w io.Writer, typ byte, payload []byte) error {
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	if len(payload) == 0 {
		_, err := w.Write(hdr[:])
		return err
	}
	// One write: frames from several goroutines never interleave, and a
	// small frame is one system call.
	buf := make([]byte, 0, len(hdr)+len(payload))
	buf = append(append(buf, hdr[:]...), payload...)
	_, err := w.Write(buf)
	return err
}

// readFrame reads one frame; buf is reused when large enough.
func readFrame(r io.Reader, buf []byte) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("agent protocol: frame of %d bytes", n)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return hdr[0], buf, nil
}

// writeJSON writes v as a frame of type typ.
func writeJSON(w io.Writer, typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFrame(w, typ, b)
}

// decodeJSON decodes a frame's payload into v.
func decodeJSON(payload []byte, v any) error { return json.Unmarshal(payload, v) }

// optionsJSON is ssh.Options as it crosses the socket: every field but
// Prompter, Warn and Getenv, which stay in the run (TestOptionsJSON checks
// that no other field is left out).
type optionsJSON struct {
	Home, ConfigFile, KnownHostsFile, HostKeyPolicy string
	HintArgs                                        []string
	ConnectTimeout, KeepaliveInterval, KillGrace    time.Duration
	KeepaliveCountMax, BastionChannels              int
	AskPassProgram, PassphraseEnv                   string
	BecomePassword, Password                        string
	AgentSocket, LocalUser                          string
	WorkDir                                         string
}

// optionsToJSON copies the fields of o that optionsJSON has.
func optionsToJSON(o ssh.Options) optionsJSON {
	var out optionsJSON
	src, dst := reflect.ValueOf(o), reflect.ValueOf(&out).Elem()
	for i := range dst.NumField() {
		dst.Field(i).Set(src.FieldByName(dst.Type().Field(i).Name))
	}
	return out
}

// options returns the ssh.Options of o.
func (o optionsJSON) options() ssh.Options {
	var out ssh.Options
	src, dst := reflect.ValueOf(o), reflect.ValueOf(&out).Elem()
	for i := range src.NumField() {
		dst.FieldByName(src.Type().Field(i).Name).Set(src.Field(i))
	}
	return out
}

// MarshalJSON encodes dr with its options as optionsJSON.
func (dr *dialRequest) MarshalJSON() ([]byte, error) {
	type plain dialRequest
	return json.Marshal(struct {
		*plain
		SSH optionsJSON
	}{(*plain)(dr), optionsToJSON(dr.Options)})
}

// UnmarshalJSON decodes what MarshalJSON encoded.
func (dr *dialRequest) UnmarshalJSON(b []byte) error {
	type plain dialRequest
	v := struct {
		*plain
		SSH optionsJSON
	}{plain: (*plain)(dr)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	dr.Options = v.SSH.options()
	return nil
}

// lockedWriter serializes frames written by several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) frame(typ byte, payload []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return writeFrame(l.w, typ, payload)
}

func (l *lockedWriter) json(typ byte, v any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return writeJSON(l.w, typ, v)
}

// streamWriter sends what is written to it as frames of one type.
type streamWriter struct {
	w   *lockedWriter
	typ byte
}

func (s streamWriter) Write(p []byte) (int, error) {
	for done := 0; done < len(p); {
		n := min(len(p)-done, dataChunk)
		if err := s.w.frame(s.typ, p[done:done+n]); err != nil {
			return done, err
		}
		done += n
	}
	return len(p), nil
}

// wireError is an error as it crosses the socket: its class, op, hint and
// message, and which standard errors it wraps, so that the client rebuilds
// a *remote.Error that prints, classifies and matches (errors.Is) the same.
type wireError struct {
	Classified bool // a *remote.Error
	Class      remote.Class
	Op, Hint   string
	Text       string // err.Error()
	Context    string // "canceled" or "deadline" when it wraps a context error
	File       string // "not-exist" or "permission" when it wraps one
}

// encodeError returns err as it crosses the socket; nil for nil.
func encodeError(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Text: err.Error()}
	var re *remote.Error
	if errors.As(err, &re) {
		w.Classified, w.Class, w.Op, w.Hint = true, re.Class, re.Op, remote.HintOf(err)
	}
	switch {
	case errors.Is(err, context.Canceled):
		w.Context = "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		w.Context = "deadline"
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		w.File = "not-exist"
	case errors.Is(err, fs.ErrPermission):
		w.File = "permission"
	}
	return w
}

// decode rebuilds the error: a *remote.Error of the same class, op and
// hint whose message is the original's.
func (w *wireError) decode() error {
	if w == nil {
		return nil
	}
	var wrapped []error
	switch w.Context {
	case "canceled":
		wrapped = append(wrapped, context.Canceled)
	case "deadline":
		wrapped = append(wrapped, context.DeadlineExceeded)
	}
	switch w.File {
	case "not-exist":
		wrapped = append(wrapped, fs.ErrNotExist)
	case "permission":
		wrapped = append(wrapped, fs.ErrPermission)
	}
	if !w.Classified {
		return &textError{text: w.Text, wrapped: wrapped}
	}
	e := &remote.Error{Class: w.Class, Op: w.Op, Hint: w.Hint}
	// remote.Error prints "class: op: message"; find the message part.
	body := strings.TrimPrefix(strings.TrimPrefix(w.Text, w.Class.String()), ": ")
	switch {
	case body == w.Op || body == "":
		if len(wrapped) == 1 && w.Context != "" {
			e.Err = wrapped[0] // prints as the class alone, as the original
		}
		return e // (an empty body: the op was none or the class)
	case w.Op == w.Class.String(): // not printed: the class says it
	case w.Op != "" && strings.HasPrefix(body, w.Op+": "):
		body = strings.TrimPrefix(body, w.Op+": ")
	default:
		e.Op = ""
	}
	e.Err = &textError{text: body, wrapped: wrapped}
	return e
}

// textError is an error's message with the standard errors it wrapped.
type textError struct {
	text    string
	wrapped []error
}

func (t *textError) Error() string   { return t.text }
func (t *textError) Unwrap() []error { return t.wrapped }
