package winrm

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

const (
	resourceCmdShell = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
	actionCreate     = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
	// utf8CodePage is passed as WINRS_CODEPAGE so that commands write UTF-8
	// (what chcp 65001 does in a console).
	utf8CodePage = "65001"
)

// wsman performs the Windows Remote Shell operations of [MS-WSMV] on one
// endpoint. Requests are built and replies parsed by the winrm library;
// they travel through the transporter, which makes every non-200 reply an
// error. The command flow is driven here rather than by the library's
// Command type, which cannot abandon a Receive in flight when its context
// is cancelled, polls again after a cancel, and blocks forever on a stdin
// reader that never returns.
type wsman struct {
	url    string
	params *winrm.Parameters
	http   *transporter
}

// createShell opens a cmd shell whose commands write UTF-8, with the given
// environment variables and working directory, and returns its id.
func (w *wsman) createShell(ctx context.Context, env map[string]string, dir string) (string, error) {
	msg, err := createShellRequest(w.url, w.params, env, dir)
	if err != nil {
		return "", err
	}
	reply, err := w.http.post(ctx, msg.String())
	if err != nil {
		return "", err
	}
	id, err := winrm.ParseOpenShellResponse(reply)
	if err == nil && id == "" {
		err = errors.New("no ShellId in the reply")
	}
	if err != nil {
		return "", fmt.Errorf("unexpected reply to Create: %w", err)
	}
	return id, nil
}

// createShellRequest builds a Create request: the winrm library's
// NewOpenShellRequest, plus the rsp:WorkingDirectory and rsp:Environment
// elements it cannot add. Names and values are escaped for XML (the
// library writes text as is).
func createShellRequest(url string, params *winrm.Parameters, env map[string]string, dir string) (*soap.SoapMessage, error) {
	if err := checkEnvironment(env, dir); err != nil {
		return nil, err
	}
	msg := soap.NewMessage()
	msg.Header().
		To(url).
		ReplyTo("http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous").
		MaxEnvelopeSize(params.EnvelopeSize).
		Id(newMessageID()).
		Locale(params.Locale).
		Timeout(params.Timeout).
		Action(actionCreate).
		ResourceURI(resourceCmdShell).
		AddOption(soap.NewHeaderOption("WINRS_NOPROFILE", "FALSE")).
		AddOption(soap.NewHeaderOption("WINRS_CODEPAGE", utf8CodePage)).
		Build()
	shell := msg.CreateBodyElement("Shell", soap.DOM_NS_WIN_SHELL)
	msg.CreateElement(shell, "InputStreams", soap.DOM_NS_WIN_SHELL).SetContent("stdin")
	msg.CreateElement(shell, "OutputStreams", soap.DOM_NS_WIN_SHELL).SetContent("stdout stderr")
	if dir != "" {
		msg.CreateElement(shell, "WorkingDirectory", soap.DOM_NS_WIN_SHELL).SetContent(escapeXML(dir))
	}
	if len(env) > 0 {
		environment := msg.CreateElement(shell, "Environment", soap.DOM_NS_WIN_SHELL)
		for _, name := range slices.Sorted(maps.Keys(env)) {
			v := msg.CreateElement(environment, "Variable", soap.DOM_NS_WIN_SHELL)
			v.SetAttr("Name", escapeXML(name))
			v.SetContent(escapeXML(env[name]))
		}
	}
	return msg, nil
}

// checkEnvironment refuses variables and directories Windows cannot have
// or XML cannot carry.
func checkEnvironment(env map[string]string, dir string) error {
	for name, value := range env {
		if name == "" || strings.ContainsRune(name, '=') {
			return fmt.Errorf("invalid environment variable name %q", name)
		}
		if err := checkText(name + value); err != nil {
			return fmt.Errorf("environment variable %s: %w", name, err)
		}
	}
	if err := checkText(dir); err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	return nil
}

// checkText refuses text that is not UTF-8 or holds characters XML 1.0
// cannot carry.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("the text is not valid UTF-8")
	}
	for _, r := range s {
		if !xmlChar(r) {
			return fmt.Errorf("the character %U cannot be sent over WinRM", r)
		}
	}
	return nil
}

// newMessageID returns a random (version 4) UUID as a WS-Addressing
// MessageID.
func newMessageID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// escapeXML escapes s for XML text and attribute values.
func escapeXML(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// command starts line in the shell and returns the command's id. A "]]>" in
// the line is split across CDATA sections (the library writes the command
// as one).
func (w *wsman) command(ctx context.Context, shellID, line string) (string, error) {
	msg := winrm.NewExecuteCommandRequest(w.url, shellID, escapeCDATA(line), nil, w.params)
	reply, err := w.http.post(ctx, msg.String())
	if err != nil {
		return "", err
	}
	id, err := winrm.ParseExecuteCommandResponse(reply)
	if err == nil && id == "" {
		err = errors.New("no CommandId in the reply")
	}
	if err != nil {
		return "", fmt.Errorf("unexpected reply to Command: %w", err)
	}
	return id, nil
}

// receive polls the command's output once, writing what arrived to stdout
// and stderr. done is set, with the exit code, once the command has ended.
// A timed-out poll is a *soapFault whose timedOut() is true.
func (w *wsman) receive(ctx context.Context, shellID, commandID string, stdout, stderr io.Writer) (done bool, exitCode int, err error) {
	msg := winrm.NewGetOutputRequest(w.url, shellID, commandID, "stdout stderr", w.params)
	reply, err := w.http.post(ctx, msg.String())
	if err != nil {
		return false, 0, err
	}
	done, exitCode, err = winrm.ParseSlurpOutputErrResponse(reply, stdout, stderr)
	if err != nil {
		return false, 0, fmt.Errorf("unexpected reply to Receive: %w", err)
	}
	return done, exitCode, nil
}

// send writes data to the command's standard input, closing it when eof.
func (w *wsman) send(ctx context.Context, shellID, commandID string, data []byte, eof bool) error {
	msg := winrm.NewSendInputRequest(w.url, shellID, commandID, data, eof, w.params)
	_, err := w.http.post(ctx, msg.String())
	return err
}

// terminate signals the command to terminate.
func (w *wsman) terminate(ctx context.Context, shellID, commandID string) error {
	msg := winrm.NewSignalRequest(w.url, shellID, commandID, w.params)
	_, err := w.http.post(ctx, msg.String())
	return err
}

// deleteShell deletes the shell and whatever still runs in it.
func (w *wsman) deleteShell(ctx context.Context, shellID string) error {
	msg := winrm.NewDeleteShellRequest(w.url, shellID, w.params)
	_, err := w.http.post(ctx, msg.String())
	return err
}
