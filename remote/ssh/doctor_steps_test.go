package ssh

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
)

func TestDoctorStepsWithoutDialer(t *testing.T) {
	steps := DoctorSteps{Dialer: func() (*Dialer, error) { return nil, errors.New("$HOME is not set") }}
	var got []doctor.Report
	for r := range doctor.Run(context.Background(), []remote.Target{{Name: "web1"}}, doctor.Options{Kinds: map[string]doctor.Steps{remote.KindSSH: steps}}) {
		got = append(got, r)
	}
	r := got[0]
	if r.Healthy || r.Transport != remote.KindSSH || len(r.Steps) != 8 {
		t.Fatalf("report: %+v", r)
	}
	if s := r.Steps[0]; s.Step != "settings" || s.Status != doctor.Fail || s.Summary != "cannot set up the SSH transport: $HOME is not set" || !strings.Contains(s.Fix, "--ssh-config") {
		t.Errorf("settings: %+v", s)
	}
	if s := r.Steps[7]; s.Step != "sudo" || s.Status != doctor.Skip || s.Summary != "skipped: login did not pass" {
		t.Errorf("sudo: %+v", s)
	}
}

func TestMismatchFinding(t *testing.T) {
	ms := []Mismatch{
		{Kind: "host key", Server: []string{"ssh-ed25519"}},
		{Kind: "cipher", Server: []string{"3des-cbc"}, Client: []string{"aes128-ctr"}, Insecure: []string{"3des-cbc"}},
		{Kind: "MAC", Server: []string{"hmac-md5"}, Client: []string{"a", "b", "c", "d", "e"}},
	}
	f := mismatchFinding(doctor.Finding{Status: doctor.OK, Summary: "SSH-2.0-x"}, ms, []string{"ssh-rsa"}, "ssh-keygen -R web1")
	if f.Status != doctor.Fail || f.Class != remote.ClassProtocol.String() {
		t.Errorf("status %s, class %s", f.Status, f.Class)
	}
	for _, want := range []string{"replace the old entry: ssh-keygen -R web1", "only weak cipher algorithms (3des-cbc)", "sshd_config Ciphers, e.g. aes128-ctr", "enable one of a, b, c, d in sshd_config MACs"} {
		if !strings.Contains(f.Fix, want) {
			t.Errorf("fix %q lacks %q", f.Fix, want)
		}
	}
}

func TestAuthFix(t *testing.T) {
	eff := Effective{User: "deploy", DefaultIdentities: true, IdentityFiles: []string{"~/.ssh/id_ed25519"}, Notes: []string{"no agent"}}
	fix := authFix([]string{"publickey", "password"}, eff)
	for _, want := range []string{"~deploy/.ssh/authorized_keys", "none of the default keys (~/.ssh/id_ed25519)", "--ask-pass", "(no agent)"} {
		if !strings.Contains(fix, want) {
			t.Errorf("fix %q lacks %q", fix, want)
		}
	}
	if fix := authFix([]string{"gssapi-with-mic"}, Effective{}); !strings.Contains(fix, "accepts no method remotectl implements (gssapi-with-mic)") {
		t.Errorf("fix %q", fix)
	}
}
