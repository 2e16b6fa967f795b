package ssh

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/remotectl/remotectl/remote"
)

// Becoming another user with su, as Ansible's su become plugin
// (ansible/plugins/become/su.py) does: the command line is
// `su FLAGS USER -c 'CMD'`, FLAGS written as they are given (Ansible's
// become_flags, none by default) and CMD the same wrapper sudo runs. When
// su asks for the user's password, its prompt is recognised with Ansible's
// list of localized prompts and answered with the become password.
//
// Ansible answers the prompt on a pseudo-terminal; remotectl keeps the
// session without one, so that the command's output and error streams stay
// apart as the modules' results need them (util-linux su, like sudo -S,
// reads the password line from its standard input when that is no
// terminal, and prints the prompt on its standard error, from which it is
// removed). A su that insists on a terminal is reported as such.
//
// As with sudo, a probe (`true`) finds out once per connection, user and
// flags whether a password is needed and whether it is accepted, so the
// real command never runs twice, never loses its input to a failed
// attempt, and a wrong password is Ansible's "Incorrect su password"
// before anything runs.

// suPromptL10n is su.py's SU_PROMPT_LOCALIZATIONS.
var suPromptL10n = []string{
	"Password", "암호", "パスワード", "Adgangskode", "Contraseña", "Contrasenya", "Hasło", "Heslo", "Jelszó",
	"Lösenord", "Mật khẩu", "Mot de passe", "Parola", "Parool", "Pasahitza", "Passord", "Passwort",
	"Salasana", "Sandi", "Senha", "Wachtwoord", "ססמה", "Лозинка", "Парола", "Пароль", "गुप्तशब्द",
	"शब्दकूट", "సంకేతపదము", "හස්පදය", "密码", "密碼", "口令",
}

// suPromptRe is su.py's check_password_prompt regular expression, matched
// at the start of the output as re.match does. As in Ansible, the
// alternatives are joined with "|" and the colon suffix binds to the last
// alternative only.
var suPromptRe = regexp.MustCompile(`^(?i:` + suPromptAlternatives() + ` ?(:|：) ?)`)

// suPromptStrip matches a whole prompt, colon included, at the start of
// su's standard error: what is removed from the command's error stream.
var suPromptStrip = regexp.MustCompile(`^(?i:(?:\w+'s )?(?:` + strings.Join(quoteAll(suPromptL10n), "|") + `) ?(?::|：) ?)`)

func suPromptAlternatives() string {
	alts := make([]string, len(suPromptL10n))
	for i, p := range suPromptL10n {
		alts[i] = `(\w+'s )?` + regexp.QuoteMeta(p)
	}
	return strings.Join(alts, "|")
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = regexp.QuoteMeta(s)
	}
	return out
}

// suFail is su.py's fail: the message of a rejected password.
const suFail = "Authentication failure"

// becomeMethodSu names su in a Cmd's BecomeMethod.
const becomeMethodSu = "su"

// suLine returns the su command line running script (a shell word
// list already quoted) as user, with the flags as written.
func suLine(user, flags, script string) string {
	if user == "" {
		user = "root"
	}
	line := "su "
	if f := strings.TrimSpace(flags); f != "" {
		line += f + " "
	}
	return line + quote(user) + " -c " + script
}

// suMode finds out, once per user and flags, whether su runs without a
// password (a root login) or with the become password pw (ok false when
// there is none).
func (t *Transport) suMode(ctx context.Context, user, flags, pw string, ok bool) (sudoMode, error) {
	key := user + "\x00" + flags
	t.mu.Lock()
	mode, known := t.su[key]
	t.mu.Unlock()
	if known {
		return mode, nil
	}
	line := suLine(user, flags, "true")
	out, res, err := t.probe(ctx, line, nil)
	if err != nil {
		return 0, err
	}
	switch {
	case res.ExitCode == 0:
		mode = sudoNoPassword
	case suPromptRe.MatchString(out):
		if !ok {
			return 0, &remote.Error{Class: remote.ClassSudoPassword, Op: opBecome,
				Err:  fmt.Errorf("su on %s asks for a password (Missing su password): %s", t.p.name, firstLine(out)),
				Hint: "pass --ask-become-pass (-K) or set ansible_become_password"}
		}
		out, res, err = t.probe(ctx, line, passwordThen(pw, nil))
		if err != nil {
			return 0, err
		}
		if res.ExitCode != 0 {
			return 0, suError(t.p.name, res, out)
		}
		mode = sudoPassword
	default:
		return 0, suError(t.p.name, res, out)
	}
	t.mu.Lock()
	t.su[key] = mode
	t.mu.Unlock()
	return mode, nil
}

// suError classifies a failed su probe.
func suError(host string, res remote.Result, out string) error {
	msg := strings.TrimSpace(suPromptStrip.ReplaceAllString(out, ""))
	switch {
	case strings.Contains(out, suFail):
		return &remote.Error{Class: remote.ClassSudoPassword, Op: opBecome,
			Err:  fmt.Errorf("Incorrect su password on %s: %s", host, firstLine(msg)),
			Hint: "check the become password (--ask-become-pass, ansible_become_password): su takes the password of the user it becomes"}
	case res.ExitCode == 127 || strings.Contains(out, "not found"):
		return &remote.Error{Class: remote.ClassOther, Op: opBecome,
			Err: fmt.Errorf("su is not available on %s: %s", host, firstLine(msg)), Hint: "install su (util-linux) on the host"}
	case strings.Contains(out, "terminal"):
		return &remote.Error{Class: remote.ClassOther, Op: opBecome,
			Err:  fmt.Errorf("su on %s needs a terminal: %s", host, firstLine(msg)),
			Hint: "remotectl runs su without a terminal (util-linux su reads the password from its input); use become_method: sudo on this host"}
	}
	return &remote.Error{Class: remote.ClassAuth, Op: opBecome,
		Err:  fmt.Errorf("su on %s failed (exit %d): %s", host, res.ExitCode, firstLine(msg)),
		Hint: "check that the become user exists and has a login shell"}
}

// promptStripper removes su's password prompt from the start of the
// command's error stream: it holds the first bytes until they show the
// prompt (removed) or cannot be one (passed on), and flushes what it holds
// when the stream ends.
type promptStripper struct {
	mu      sync.Mutex
	w       io.Writer
	held    []byte
	decided bool
}

// suPromptMax bounds what is held while waiting for the prompt's colon.
const suPromptMax = 256

func (p *promptStripper) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.decided {
		return p.w.Write(b)
	}
	p.held = append(p.held, b...)
	if loc := suPromptStrip.FindIndex(p.held); loc != nil && (loc[1] < len(p.held) || endsWithColonSpace(p.held)) {
		rest := p.held[loc[1]:]
		p.held, p.decided = nil, true
		if len(rest) > 0 {
			_, _ = p.w.Write(rest)
		}
		return len(b), nil
	}
	if len(p.held) >= suPromptMax || !couldBePrompt(p.held) {
		p.flushLocked()
	}
	return len(b), nil
}

// endsWithColonSpace reports whether the held bytes end the prompt for
// sure (its optional trailing space has come).
func endsWithColonSpace(b []byte) bool {
	return bytes.HasSuffix(b, []byte(": ")) || bytes.HasSuffix(b, []byte("： "))
}

// couldBePrompt reports whether b may still grow into a prompt: no line
// has ended before a colon.
func couldBePrompt(b []byte) bool {
	nl := bytes.IndexByte(b, '\n')
	return nl < 0
}

func (p *promptStripper) flushLocked() {
	p.decided = true
	if len(p.held) > 0 {
		_, _ = p.w.Write(p.held)
	}
	p.held = nil
}

// flush passes on what is still held (the stream has ended).
func (p *promptStripper) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.decided {
		if loc := suPromptStrip.FindIndex(p.held); loc != nil {
			p.held = p.held[loc[1]:]
		}
		p.flushLocked()
	}
}
