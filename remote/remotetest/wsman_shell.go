package remotetest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// wsmanEnvelopeOverhead is the room a Receive reply keeps for XML around the
// base64 output.
const wsmanEnvelopeOverhead = 4096

var (
	errReceiveTimedOut = errors.New("no output within the OperationTimeout")
	errShellGone       = errors.New("shell deleted")
	errServerClosing   = errors.New("server closing")
	errStdinClosed     = errors.New("stdin already closed")
)

// wsmanShell is an open Windows Remote Shell.
type wsmanShell struct {
	id       string
	owner    string
	clientIP string
	dir      string   // working directory of its commands
	env      []string // environment of its commands

	mu       sync.Mutex
	killed   bool
	commands map[string]*wsmanCommand
}

// dispatch performs an authenticated, decoded shell request.
func (s *WSManServer) dispatch(r *http.Request, env *wsmanEnvelope) wsmanReply {
	msgID := strings.TrimSpace(env.Header.MessageID)
	op := env.op()
	if op == "" {
		return faultActionNotSupported(strings.TrimSpace(env.Header.Action)).reply(msgID)
	}
	if uri := strings.TrimSpace(env.Header.ResourceURI); uri != wsmanShellResourceURI {
		return faultInvalidResourceURI(uri).reply(msgID)
	}
	if op == WSManOpCreate {
		return s.create(r, env, msgID)
	}
	shellID := env.shellID()
	sh := s.shell(shellID)
	if sh == nil {
		return faultShellNotFound(shellID).reply(msgID)
	}
	switch op {
	case WSManOpCommand:
		return s.command(sh, env, msgID)
	case WSManOpReceive:
		return s.receive(r.Context(), sh, env, msgID)
	case WSManOpSend:
		return s.send(sh, env, msgID)
	case WSManOpSignal:
		return s.signal(sh, env, msgID)
	default:
		return s.delete(sh, msgID)
	}
}

// shell returns the open shell with that ID, nil if none.
func (s *WSManServer) shell(id string) *wsmanShell {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shells[id]
}

// create opens a shell (Create).
func (s *WSManServer) create(r *http.Request, env *wsmanEnvelope, msgID string) wsmanReply {
	dir := s.home
	vars := os.Environ()
	if body := env.Body.Shell; body != nil {
		if wd := strings.TrimSpace(body.WorkingDirectory); wd != "" {
			wd = s.hostWorkingDirectory(wd)
			if fi, err := os.Stat(wd); err != nil || !fi.IsDir() {
				return faultInvalidParameter("the working directory %q does not exist on the server", wd).reply(msgID)
			}
			dir = wd
		}
		if body.Environment != nil {
			for _, v := range body.Environment.Variables {
				vars = append(vars, v.Name+"="+v.Value)
			}
		}
	}
	clientIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	sh := &wsmanShell{
		id:       newWSManUUID(),
		owner:    s.User,
		clientIP: clientIP,
		dir:      dir,
		env:      vars,
		commands: map[string]*wsmanCommand{},
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.shells[sh.id] = sh
	}
	s.mu.Unlock()
	if closed {
		return faultInternal("the server is shutting down").reply(msgID)
	}
	address := strings.TrimSpace(env.Header.To)
	if address == "" {
		address = s.URL
	}
	return createReply(msgID, address, sh)
}

// command starts a command in the shell (Command).
func (s *WSManServer) command(sh *wsmanShell, env *wsmanEnvelope, msgID string) wsmanReply {
	line := env.Body.CommandLine
	if line == nil {
		return faultInvalidParameter("the Command request has no rsp:CommandLine").reply(msgID)
	}
	start, err := s.commandStarter(sh, line.Command, line.Arguments)
	if err != nil {
		return faultInvalidParameter("%v", err).reply(msgID)
	}
	c, err := sh.start(&s.wg, start)
	switch {
	case errors.Is(err, errShellGone):
		return faultShellNotFound(sh.id).reply(msgID)
	case err != nil:
		return faultInternal("cannot start the command: %v", err).reply(msgID)
	}
	return commandReply(msgID, c.id)
}

// receive long-polls a command's output (Receive).
func (s *WSManServer) receive(ctx context.Context, sh *wsmanShell, env *wsmanEnvelope, msgID string) wsmanReply {
	if env.Body.Receive == nil {
		return faultInvalidParameter("the Receive request has no rsp:DesiredStream").reply(msgID)
	}
	id := env.commandID()
	c := sh.command(id)
	if c == nil {
		return faultInvalidParameter("CommandId %q is not a command of shell %s", id, sh.id).reply(msgID)
	}
	streams, err := desiredStreams(env.Body.Receive.DesiredStream.Streams)
	if err != nil {
		return faultInvalidParameter("%v", err).reply(msgID)
	}
	timeout, err := env.operationTimeout()
	if err != nil {
		return faultInvalidParameter("w:OperationTimeout: %v", err).reply(msgID)
	}
	if limit := s.opts.OperationTimeoutCap; limit > 0 && timeout > limit {
		timeout = limit
	}
	budget := max((env.maxEnvelopeSize()-wsmanEnvelopeOverhead)*3/4, 1024)
	out, err := c.receive(ctx, streams, budget, timeout, s.done)
	switch {
	case errors.Is(err, errReceiveTimedOut):
		return faultTimedOut().reply(msgID)
	case errors.Is(err, errShellGone):
		return faultShellNotFound(sh.id).reply(msgID)
	case err != nil: // the client went away or the server is closing: nobody reads this
		return faultInternal("the receive was abandoned: %v", err).reply(msgID)
	}
	return receiveReply(msgID, c.id, out)
}

// desiredStreams parses rsp:DesiredStream ("stdout stderr" when empty).
func desiredStreams(text string) ([]string, error) {
	var streams []string
	for _, name := range strings.Fields(text) {
		if name != "stdout" && name != "stderr" {
			return nil, fmt.Errorf("unknown output stream %q; a cmd shell has stdout and stderr", name)
		}
		if !slices.Contains(streams, name) {
			streams = append(streams, name)
		}
	}
	if len(streams) == 0 {
		streams = []string{"stdout", "stderr"}
	}
	return streams, nil
}

// send feeds a command's stdin (Send).
func (s *WSManServer) send(sh *wsmanShell, env *wsmanEnvelope, msgID string) wsmanReply {
	if env.Body.Send == nil || len(env.Body.Send.Streams) == 0 {
		return faultInvalidParameter("the Send request has no rsp:Stream").reply(msgID)
	}
	for _, st := range env.Body.Send.Streams {
		if st.Name != "stdin" {
			return faultInvalidParameter("cannot send to stream %q; a cmd shell reads stdin only", st.Name).reply(msgID)
		}
		id := strings.TrimSpace(st.CommandID)
		c := sh.command(id)
		if c == nil {
			return faultInvalidParameter("CommandId %q is not a command of shell %s", id, sh.id).reply(msgID)
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st.Data))
		if err != nil {
			return faultInvalidParameter("stdin data is not base64: %v", err).reply(msgID)
		}
		if err := c.stdin.push(data, strings.EqualFold(strings.TrimSpace(st.End), "true")); err != nil {
			return faultInvalidParameter("command %s: %v", id, err).reply(msgID)
		}
	}
	return okReply(nsShell+"/SendResponse", msgID, `<rsp:SendResponse></rsp:SendResponse>`)
}

// signal delivers terminate, ctrl_c or ctrl_break to a command (Signal).
func (s *WSManServer) signal(sh *wsmanShell, env *wsmanEnvelope, msgID string) wsmanReply {
	body := env.Body.Signal
	if body == nil {
		return faultInvalidParameter("the Signal request has no rsp:Signal").reply(msgID)
	}
	code := strings.TrimSpace(body.Code)
	name, _ := strings.CutPrefix(code, wsmanSignalURI)
	sig, ok := wsmanSignals[name]
	if !ok {
		return faultInvalidParameter("unknown signal code %q; use %sterminate, ctrl_c or ctrl_break", code, wsmanSignalURI).reply(msgID)
	}
	s.mu.Lock()
	s.signals = append(s.signals, name)
	s.mu.Unlock()
	id := strings.TrimSpace(body.CommandID)
	c := sh.command(id)
	if c == nil {
		return faultInvalidParameter("CommandId %q is not a command of shell %s", id, sh.id).reply(msgID)
	}
	c.signal(sig)
	return okReply(nsShell+"/SignalResponse", msgID, `<rsp:SignalResponse></rsp:SignalResponse>`)
}

// delete closes a shell and kills its commands (Delete).
func (s *WSManServer) delete(sh *wsmanShell, msgID string) wsmanReply {
	s.mu.Lock()
	delete(s.shells, sh.id)
	s.mu.Unlock()
	sh.kill()
	return okReply(nsTransfer+"/DeleteResponse", msgID, "")
}

// start runs a command in the shell; its goroutines join wg.
func (sh *wsmanShell) start(wg *sync.WaitGroup, startProc func(dir string, env []string) (wsmanProc, error)) (*wsmanCommand, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.killed {
		return nil, errShellGone
	}
	proc, err := startProc(sh.dir, sh.env)
	if err != nil {
		return nil, err
	}
	stdin, stdout, stderr := proc.files()
	c := &wsmanCommand{
		id:      newWSManUUID(),
		proc:    proc,
		stdin:   newStdinFeeder(stdin),
		changed: make(chan struct{}),
		streams: map[string]*wsmanOutputStream{"stdout": {}, "stderr": {}},
	}
	sh.commands[c.id] = c
	wg.Go(c.stdin.run)
	wg.Go(func() { c.pump("stdout", stdout) })
	wg.Go(func() { c.pump("stderr", stderr) })
	wg.Go(c.wait)
	return c, nil
}

func (sh *wsmanShell) command(id string) *wsmanCommand {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.commands[id]
}

// kill ends every command of the shell; it is then unusable.
func (sh *wsmanShell) kill() {
	sh.mu.Lock()
	sh.killed = true
	commands := sh.commands
	sh.commands = map[string]*wsmanCommand{}
	sh.mu.Unlock()
	for _, c := range commands {
		c.kill()
	}
}

// runningPids returns the process IDs of its commands that have not exited.
func (sh *wsmanShell) runningPids() []int {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var pids []int
	for _, c := range sh.commands {
		if pid, running := c.running(); running {
			pids = append(pids, pid)
		}
	}
	return pids
}

// translateCommandLine maps the command line a client asked a cmd shell to
// run to the /bin/sh script the server runs. Windows joins the command and
// its arguments with spaces and hands the line to cmd.exe; here /bin/sh
// gets it. A "powershell -EncodedCommand <base64 UTF-16LE>" line (pwsh,
// .exe and a path are accepted, as are -enc, -e and -ec) is decoded and the
// script run by /bin/sh too, without the "$ProgressPreference = ...;"
// statement PowerShell wrappers such as masterzen/winrm prepend. This is a
// protocol double, not a Windows emulator: tests send POSIX shell scripts.
func translateCommandLine(command string, args []string) (string, error) {
	line := strings.Join(append([]string{command}, args...), " ")
	script, isPowerShell, err := decodePowerShellCommand(line)
	if err != nil || !isPowerShell {
		return line, err
	}
	return progressPreference.ReplaceAllString(script, ""), nil
}

// progressPreference matches the statement PowerShell wrappers prepend to
// silence progress output.
var progressPreference = regexp.MustCompile(`(?i)^\s*\$ProgressPreference\s*=\s*['"]?\w+['"]?\s*;`)

// decodePowerShellCommand recognises a PowerShell -EncodedCommand line and
// returns its decoded script.
func decodePowerShellCommand(line string) (script string, ok bool, err error) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return "", false, nil
	}
	exe := strings.ToLower(strings.Trim(words[0], `"'`))
	exe = exe[strings.LastIndexAny(exe, `/\`)+1:]
	exe = strings.TrimSuffix(exe, ".exe")
	if exe != "powershell" && exe != "pwsh" {
		return "", false, nil
	}
	for i, w := range words[1:] {
		flag := strings.ToLower(w)
		if flag != "-ec" && (len(flag) < 2 || !strings.HasPrefix("-encodedcommand", flag)) {
			continue
		}
		if i+2 >= len(words) {
			return "", true, fmt.Errorf("%s -EncodedCommand has no argument", words[0])
		}
		// cmd.exe passes a quoted argument ("...") to the program, which
		// reads it unquoted (CommandLineToArgvW).
		raw, err := base64.StdEncoding.DecodeString(strings.Trim(words[i+2], `"`))
		if err == nil {
			script, err = decodeNTLMString(raw, true) // UTF-16LE
		}
		if err != nil {
			return "", true, errors.New("the -EncodedCommand argument is not base64 of UTF-16LE text")
		}
		return script, true, nil
	}
	return "", false, nil
}
