package ssh

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

// suRun runs cmd as s.PasswordUser through su on the fleet's first host,
// logged in as login, and returns its output.
func suRun(t *testing.T, s *remotetest.SSHD, d *Dialer, login string, cmd *remote.Cmd) (stdout, stderr string, res remote.Result, err error) {
	t.Helper()
	target := s.Targets()[0]
	target.User = login
	tr := dialTransport(t, d, target)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Become, cmd.BecomeMethod = true, "su"
	if cmd.BecomeUser == "" {
		cmd.BecomeUser = s.PasswordUser
	}
	res, err = tr.Run(testContext(t), cmd)
	return out.String(), errb.String(), res, err
}

// TestSSHDSu becomes another user with su on real sshd and util-linux su:
// from a login that must give the user's password (the password line on
// su's input, its prompt kept out of the command's error stream, the
// command's own input intact), and from root, for which su asks nothing.
func TestSSHDSu(t *testing.T) {
	s, _ := startFleet(t, remotetest.SSHDOptions{PasswordAuth: true, Users: []string{"root"}})
	script := "id -un; cat; echo to-stderr >&2; exit 3"
	t.Run("password from --ask-become-pass", func(t *testing.T) {
		out, errOut, res, err := suRun(t, s, newTestDialer(t, Options{BecomePassword: s.Password}), fleetUser,
			&remote.Cmd{Shell: script, Stdin: strings.NewReader("data\n")})
		if err != nil || out != s.PasswordUser+"\ndata\n" || errOut != "to-stderr\n" || res.ExitCode != 3 {
			t.Errorf("got %q %q exit %d, %v", out, errOut, res.ExitCode, err)
		}
	})
	t.Run("password of the command (ansible_become_password)", func(t *testing.T) {
		out, _, _, err := suRun(t, s, newTestDialer(t, Options{BecomePassword: "not-this-one"}), fleetUser,
			&remote.Cmd{Args: []string{"id", "-un"}, BecomePassword: s.Password})
		if err != nil || out != s.PasswordUser+"\n" {
			t.Errorf("got %q, %v", out, err)
		}
	})
	t.Run("flags as written: -l starts a login shell in the user's home", func(t *testing.T) {
		out, _, _, err := suRun(t, s, newTestDialer(t, Options{BecomePassword: s.Password}), fleetUser,
			&remote.Cmd{Shell: `echo "$HOME"; pwd`, BecomeFlags: "-l"})
		home := strings.SplitN(out, "\n", 2)[0]
		if err != nil || home == "" || out != home+"\n"+home+"\n" {
			t.Errorf("got %q, %v", out, err)
		}
	})
	t.Run("password needed, none given", func(t *testing.T) {
		_, _, _, err := suRun(t, s, newTestDialer(t, Options{}), fleetUser, &remote.Cmd{Args: []string{"true"}})
		wantClass(t, err, remote.ClassSudoPassword)
		if !strings.Contains(remote.HintOf(err), "--ask-become-pass") || !strings.Contains(err.Error(), "Missing su password") {
			t.Errorf("%v (hint %q)", err, remote.HintOf(err))
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, _, _, err := suRun(t, s, newTestDialer(t, Options{BecomePassword: "wrong-pass"}), fleetUser, &remote.Cmd{Args: []string{"true"}})
		wantClass(t, err, remote.ClassSudoPassword)
		if !strings.Contains(err.Error(), "Incorrect su password") || strings.Contains(err.Error(), "wrong-pass") {
			t.Errorf("%v", err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		_, _, _, err := suRun(t, s, newTestDialer(t, Options{}), "root", &remote.Cmd{Args: []string{"true"}, BecomeUser: "no-such-user-rc"})
		var re *remote.Error
		if !errors.As(err, &re) || re.Op != opBecome || !strings.Contains(err.Error(), "no-such-user-rc") {
			t.Errorf("%v", err)
		}
	})
	t.Run("from root, no password", func(t *testing.T) {
		out, errOut, res, err := suRun(t, s, newTestDialer(t, Options{}), "root",
			&remote.Cmd{Shell: script, Stdin: strings.NewReader("in\n")})
		if err != nil || out != s.PasswordUser+"\nin\n" || errOut != "to-stderr\n" || res.ExitCode != 3 {
			t.Errorf("got %q %q exit %d, %v", out, errOut, res.ExitCode, err)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		_, _, _, err := suRun(t, s, newTestDialer(t, Options{}), "root", &remote.Cmd{Args: []string{"true"}})
		if err != nil {
			t.Fatal(err)
		}
		target := s.Targets()[0]
		tr := dialTransport(t, newTestDialer(t, Options{}), target)
		_, err = tr.Run(testContext(t), &remote.Cmd{Args: []string{"true"}, Become: true, BecomeMethod: "doas"})
		wantClass(t, err, remote.ClassConfig)
	})
}

// TestSuPrompt checks the prompt matching against su.py's list and the
// stripping of the prompt from the command's error stream, whatever the
// chunks it arrives in.
func TestSuPrompt(t *testing.T) {
	for _, s := range []string{"Password: ", "password:", "rctest's Password: ", "Mot de passe : ", "Пароль: ", "密码："} {
		if !suPromptRe.MatchString(s) {
			t.Errorf("%q is a prompt for Ansible", s)
		}
	}
	for _, s := range []string{"su: Authentication failure", "Enter code: "} {
		if suPromptRe.MatchString(s) {
			t.Errorf("%q is no prompt", s)
		}
	}
	for _, tc := range []struct {
		chunks []string
		want   string
	}{
		{[]string{"Password: ", "err\n"}, "err\n"},
		{[]string{"Pass", "word", ": err\n"}, "err\n"},
		{[]string{"Password:"}, ""},
		{[]string{"Password: err\nPassword: again\n"}, "err\nPassword: again\n"},
		{[]string{"warning: x\n", "Password: y\n"}, "warning: x\nPassword: y\n"},
		{[]string{"Pass"}, "Pass"},
	} {
		var out bytes.Buffer
		p := &promptStripper{w: &out}
		for _, c := range tc.chunks {
			if _, err := p.Write([]byte(c)); err != nil {
				t.Fatal(err)
			}
		}
		p.flush()
		if out.String() != tc.want {
			t.Errorf("%q: got %q, want %q", tc.chunks, out.String(), tc.want)
		}
	}
}
