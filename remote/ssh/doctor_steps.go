package ssh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
)

// DoctorSteps are the steps `remotectl doctor` takes to diagnose an SSH
// host: settings (inventory + ssh_config), name resolution, TCP connect, the
// server's banner and algorithm offer, the host key against known_hosts, the
// authentication methods against the credentials a login would offer, a
// login running "true", and "sudo -n true". Nothing is written, except that
// under host_key_policy accept-new the login records a new key as any Dial
// would.
type DoctorSteps struct {
	// Dialer returns the dialer shared by every host, made on first use;
	// its error fails the settings step.
	Dialer func() (*Dialer, error)
}

// DoctorStepsOver returns the SSH steps over a transport registry's lazy
// dialer of the SSH kind (a *Dialer once made).
func DoctorStepsOver(dialer func() (remote.Dialer, error)) doctor.Steps {
	return DoctorSteps{Dialer: func() (*Dialer, error) {
		d, err := dialer()
		if err != nil {
			return nil, err
		}
		return d.(*Dialer), nil
	}}
}

// Steps returns the steps of t, in order, and the function that closes the
// login connection they open.
func (ds DoctorSteps) Steps(t remote.Target) ([]doctor.Step, func()) {
	s := &hostDoctor{dialer: ds.Dialer, t: t}
	// Log in without become: the sudo step checks it on its own.
	s.t.Become = false
	return []doctor.Step{
		{Name: "settings", Run: s.settings},
		{Name: "dns", Needs: []string{"settings"}, Run: s.dns},
		{Name: "tcp", Needs: []string{"dns"}, Run: s.tcp},
		{Name: "banner", Needs: []string{"tcp"}, Run: s.banner},
		{Name: "hostkey", Needs: []string{"banner"}, Run: s.hostKey},
		{Name: "auth-methods", Needs: []string{"hostkey"}, Run: s.authMethods},
		{Name: "login", Needs: []string{"auth-methods"}, Run: s.login},
		{Name: "sudo", Needs: []string{"login"}, Run: func(ctx context.Context) doctor.Finding { return s.sudo(ctx, t) }},
	}, s.close
}

// hostDoctor diagnoses one SSH host; each step leaves what later steps need.
type hostDoctor struct {
	dialer func() (*Dialer, error)
	t      remote.Target
	d      *Dialer
	eff    Effective
	tr     *Transport
}

// close closes the login connection, if any.
func (s *hostDoctor) close() {
	if s.tr != nil {
		s.tr.Close()
	}
}

func (s *hostDoctor) settings(context.Context) doctor.Finding {
	d, err := s.dialer()
	if err != nil {
		return doctor.Finding{Status: doctor.Fail, Summary: "cannot set up the SSH transport: " + err.Error(),
			Fix: "set HOME, or fix the global SSH settings (--ssh-config, --known-hosts, --host-key-policy)"}
	}
	s.d = d
	eff, err := d.Resolve(s.t)
	if err != nil {
		return doctor.Finding{Status: doctor.Fail, Summary: err.Error(), Class: remote.ClassOther.String(),
			Fix: "fix the SSH settings of the host (inventory or ssh_config)"}
	}
	s.eff = eff
	summary := fmt.Sprintf("%s@%s, host key policy %s", eff.User, eff.Address, eff.HostKeyPolicy)
	switch {
	case eff.ProxyJump != "":
		summary += ", through " + eff.ProxyJump
	case eff.ProxyCommand != "":
		summary += ", through the ProxyCommand " + eff.ProxyCommand
	}
	facts := map[string][]string{
		"known_hosts":    eff.KnownHostsFiles,
		"identity_files": eff.IdentityFiles,
	}
	if eff.AgentSocket != "" {
		facts["agent"] = []string{eff.AgentSocket}
	}
	return doctor.Finding{Status: doctor.OK, Summary: summary, Facts: facts}
}

func (s *hostDoctor) dns(ctx context.Context) doctor.Finding {
	if s.eff.ProxyJump == "" && s.eff.ProxyCommand != "" {
		return doctor.Finding{Status: doctor.Info, Summary: fmt.Sprintf("%s is reached through the ProxyCommand %s", s.eff.Host, s.eff.ProxyCommand)}
	}
	return doctor.Resolve(ctx, s.eff.Host, s.eff.ProxyJump)
}

func (s *hostDoctor) tcp(ctx context.Context) doctor.Finding {
	addr, err := s.d.CheckTCP(ctx, s.t)
	if err != nil {
		return doctor.Failed(err)
	}
	return doctor.Finding{Status: doctor.OK, Summary: addr + " accepts connections"}
}

func (s *hostDoctor) banner(ctx context.Context) doctor.Finding {
	hello, err := s.d.Hello(ctx, s.t)
	if err != nil {
		return doctor.Failed(err)
	}
	k := hello.KexInit
	f := doctor.Finding{Status: doctor.OK, Summary: hello.Banner,
		Facts: map[string][]string{
			"banner":       {hello.Banner},
			"kex":          k.KexAlgos,
			"host_keys":    k.HostKeyAlgos,
			"ciphers":      k.CiphersServerClient,
			"macs":         k.MACsServerClient,
			"compressions": k.CompressionServerClient,
		},
	}
	if len(hello.Preamble) > 0 {
		f.Facts["preamble"] = hello.Preamble
	}
	known, err := s.d.HostKeyAlgorithms(s.t)
	if err != nil {
		return doctor.Failed(err)
	}
	if m := k.Mismatches(known); len(m) > 0 {
		forget, err := s.d.ForgetKeyCommand(s.t)
		if err != nil {
			return doctor.Failed(err)
		}
		return mismatchFinding(f, m, known, forget+" && "+s.d.opts.acceptCommand(s.t.Name))
	}
	f.Summary += fmt.Sprintf("; offers %d key exchange and %d host key algorithms, one in common for each",
		len(k.KexAlgos), len(k.HostKeyAlgos))
	return f
}

// mismatchFinding reports algorithms the server and remotectl cannot agree
// on, with the sshd_config setting to change; replace is the command that
// replaces the host's keys in known_hosts with the ones it presents.
func mismatchFinding(f doctor.Finding, ms []Mismatch, known []string, replace string) doctor.Finding {
	setting := map[string]string{
		"key exchange": "KexAlgorithms", "host key": "HostKeyAlgorithms", "cipher": "Ciphers", "MAC": "MACs",
	}
	var problems, fixes []string
	for _, m := range ms {
		problems = append(problems, m.String())
		switch {
		case m.Kind == "host key" && len(known) > 0:
			fixes = append(fixes, fmt.Sprintf("known_hosts only has keys of type %s for this host, which the server no longer offers: "+
				"if the host was re-keyed on purpose, replace the old entry: %s",
				strings.Join(known, ","), replace))
		case len(m.Insecure) > 0:
			fixes = append(fixes, fmt.Sprintf("the server offers only weak %s algorithms (%s): enable a modern one in sshd_config %s, e.g. %s",
				m.Kind, strings.Join(m.Insecure, ","), setting[m.Kind], m.Client[0]))
		default:
			fixes = append(fixes, fmt.Sprintf("enable one of %s in sshd_config %s", strings.Join(firstN(m.Client, 4), ", "), setting[m.Kind]))
		}
	}
	f.Status, f.Class = doctor.Fail, remote.ClassProtocol.String()
	f.Summary += "; " + strings.Join(problems, "; ")
	f.Fix = strings.Join(fixes, "; ")
	return f
}

func firstN(list []string, n int) []string {
	if len(list) > n {
		return list[:n]
	}
	return list
}

func (s *hostDoctor) hostKey(ctx context.Context) doctor.Finding {
	r := s.d.Scan(ctx, []remote.Target{s.t}, ScanOptions{Concurrency: 1})[0]
	if r.Err != nil {
		return doctor.Failed(r.Err)
	}
	key := r.Key.Type() + " " + r.Fingerprint
	facts := map[string][]string{"key": {key}, "known_hosts": s.eff.KnownHostsFiles}
	scanFix := fmt.Sprintf("check the fingerprint with the host's administrator (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), "+
		"then record it: %s", s.d.opts.acceptCommand(s.t.Name))
	switch r.Status {
	case StatusKnown:
		return doctor.Finding{Status: doctor.OK, Summary: key + " is in known_hosts", Facts: facts}
	case StatusNew:
		switch s.eff.HostKeyPolicy {
		case "off":
			return doctor.Finding{Status: doctor.Warn, Summary: key + " is not in known_hosts and host key checking is off", Facts: facts,
				Fix: "turn host key checking back on (host_key_policy: strict) after recording the key: " + scanFix}
		case "accept-new":
			return doctor.Finding{Status: doctor.Warn, Summary: key + " is not in known_hosts: the first login records it (accept-new)", Facts: facts,
				Fix: scanFix}
		}
		return doctor.Finding{Status: doctor.Fail, Class: remote.ClassHostKeyUnknown.String(), Facts: facts,
			Summary: key + " is not in known_hosts (" + strings.Join(s.eff.KnownHostsFiles, ", ") + ")", Fix: scanFix}
	case StatusRevoked:
		return doctor.Finding{Status: doctor.Fail, Class: remote.ClassHostKeyChanged.String(), Facts: facts,
			Summary: key + " is marked @revoked in known_hosts",
			Fix:     "do not connect: the host presents a revoked key; ask its administrator"}
	}
	return doctor.Finding{Status: doctor.Fail, Class: remote.ClassHostKeyChanged.String(), Facts: facts,
		Summary: key + " differs from the key known_hosts has for " + s.eff.HostKeyName + ": possibly a man-in-the-middle, or a reinstalled host",
		Fix: fmt.Sprintf("find out why the key changed; if the host was reinstalled, replace the old key: %s && %s",
			r.ForgetCommand, s.d.opts.acceptCommand(s.t.Name))}
}

func (s *hostDoctor) authMethods(ctx context.Context) doctor.Finding {
	methods, err := s.d.AuthMethods(ctx, s.t)
	if err != nil {
		return doctor.Failed(err)
	}
	facts := map[string][]string{"server": methods, "offer": s.eff.Offer}
	if len(s.eff.Notes) > 0 {
		facts["notes"] = s.eff.Notes
	}
	summary := fmt.Sprintf("server accepts %s for %s; remotectl would offer %s",
		doctor.ListOrNothing(methods), s.eff.User, doctor.ListOrNothing(s.eff.Offer))
	if slices.Contains(methods, "none") {
		return doctor.Finding{Status: doctor.Warn, Summary: fmt.Sprintf("the server lets %s in without any credential", s.eff.User),
			Facts: facts, Fix: "require authentication on the host (PermitEmptyPasswords no, no 'none' authentication)"}
	}
	usable := s.eff.PublicKeys && slices.Contains(methods, "publickey") ||
		s.eff.Password && (slices.Contains(methods, "password") || slices.Contains(methods, "keyboard-interactive"))
	if usable {
		f := doctor.Finding{Status: doctor.OK, Summary: summary, Facts: facts}
		if len(s.eff.Notes) > 0 {
			f.Status, f.Fix = doctor.Warn, strings.Join(s.eff.Notes, "; ")
		}
		return f
	}
	return doctor.Finding{Status: doctor.Fail, Class: remote.ClassAuth.String(), Summary: summary, Facts: facts,
		Fix: authFix(methods, s.eff)}
}

// authFix says how to obtain a credential the server accepts.
func authFix(methods []string, eff Effective) string {
	var fixes []string
	if slices.Contains(methods, "publickey") {
		fix := "name a private key whose public key is in ~" + eff.User + "/.ssh/authorized_keys on the host " +
			"(identity_file in the inventory / IdentityFile in ssh_config), or load one into ssh-agent"
		if eff.DefaultIdentities {
			fix += "; none of the default keys (" + strings.Join(eff.IdentityFiles, ", ") + ") is usable"
		}
		fixes = append(fixes, fix)
	}
	if slices.Contains(methods, "password") || slices.Contains(methods, "keyboard-interactive") {
		fixes = append(fixes, "or give a password: password_env in the inventory (an environment variable holding it) or --ask-pass")
	}
	if len(fixes) == 0 {
		return "the server accepts no method remotectl implements (" + strings.Join(methods, ", ") + "): enable publickey or password authentication in sshd_config"
	}
	fix := strings.Join(fixes, "; ")
	if len(eff.Notes) > 0 {
		fix += " (" + strings.Join(eff.Notes, "; ") + ")"
	}
	return fix
}

func (s *hostDoctor) login(ctx context.Context) doctor.Finding {
	tr, err := s.d.DialSSH(ctx, s.t)
	if err != nil {
		return doctor.Failed(err)
	}
	s.tr = tr
	res, err := tr.Run(ctx, &remote.Cmd{Args: []string{"true"}})
	switch {
	case err != nil:
		return doctor.Failed(err)
	case res.ExitCode != 0:
		return doctor.Finding{Status: doctor.Fail, Class: remote.ClassRemoteExit.String(),
			Summary: fmt.Sprintf("logged in as %s, but `true` exited %d", s.eff.User, res.ExitCode),
			Fix:     "check the user's login shell and shell start-up files on the host"}
	}
	return doctor.Finding{Status: doctor.OK, Summary: fmt.Sprintf("logged in as %s and ran `true`", s.eff.User)}
}

// sudo checks `sudo -n true` (or sudo with the become password when one is
// configured). It blocks only when the host's settings ask for become.
func (s *hostDoctor) sudo(ctx context.Context, orig remote.Target) doctor.Finding {
	user := orig.BecomeUser
	if user == "" {
		user = "root"
	}
	res, err := s.tr.Run(ctx, &remote.Cmd{Args: []string{"true"}, Become: true, BecomeUser: orig.BecomeUser})
	if err == nil && res.ExitCode == 0 {
		return doctor.Finding{Status: doctor.OK, Summary: "sudo to " + user + " works"}
	}
	f := doctor.Failed(err)
	if err == nil {
		f = doctor.Finding{Status: doctor.Fail, Class: remote.ClassRemoteExit.String(),
			Summary: fmt.Sprintf("sudo true exited %d", res.ExitCode), Fix: "check sudoers on the host"}
	}
	if !orig.Become {
		f.Status = doctor.Info
		f.Class = ""
		if errors.Is(err, remote.ClassSudoPassword) {
			f.Summary = "sudo needs a password (only matters for become)"
		} else {
			f.Summary = "sudo does not work (only matters for become): " + f.Summary
		}
	}
	return f
}
