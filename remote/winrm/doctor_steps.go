package winrm

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
)

// certExpiryWarning is how close to its expiry a certificate is reported.
const certExpiryWarning = 30 * 24 * time.Hour

// hostDoctor diagnoses one WinRM host; each step leaves what later steps
// need.
type hostDoctor struct {
	d       *Dialer
	t       remote.Target
	eff     Effective
	open    map[int]bool // listener ports that accept TCP connections
	httpsOK bool         // some HTTPS listener presented a usable certificate
	tr      remote.Transport
	krb     *krbSettings // the Kerberos settings, once kerberos-credentials passed
}

// DoctorSteps are the steps `remotectl doctor` takes to diagnose a WinRM
// host: settings, name resolution, which of the HTTP (5985) and HTTPS (5986)
// listeners answer, the TLS certificate, the authentication schemes
// offered, whether traffic would cross the network unencrypted, a login,
// and a trivial command.
type DoctorSteps struct {
	// Dialer returns the dialer shared by every host, made on first use.
	Dialer func() *Dialer
}

// DoctorStepsOver returns the WinRM steps over a transport registry's lazy
// dialer of the WinRM kind (a *Dialer, which cannot fail to be made).
func DoctorStepsOver(dialer func() (remote.Dialer, error)) doctor.Steps {
	return DoctorSteps{Dialer: func() *Dialer {
		d, _ := dialer()
		return d.(*Dialer)
	}}
}

// Steps returns the steps of t, in order, and the function that closes the
// login connection they open.
func (ds DoctorSteps) Steps(t remote.Target) ([]doctor.Step, func()) {
	d := ds.Dialer()
	w := &hostDoctor{d: d, t: t, open: map[int]bool{}}
	w.eff, _ = d.Resolve(t) // the settings step reports the error
	steps := []doctor.Step{{Name: "settings", Run: w.settings}}
	steps = append(steps, w.kerberosSteps()...)
	return append(steps,
		doctor.Step{Name: "dns", Run: w.dns},
		doctor.Step{Name: "tcp", Needs: []string{"dns"}, Run: w.tcp},
		doctor.Step{Name: "tls", Needs: []string{"tcp"}, Run: w.tls},
		doctor.Step{Name: "auth-schemes", Needs: []string{"tcp"}, Run: w.authSchemes},
		doctor.Step{Name: "encryption", Needs: []string{"tcp"}, Run: w.encryption},
		doctor.Step{Name: "login", Needs: []string{"settings", "tls", "auth-schemes"}, Run: w.login},
		doctor.Step{Name: "command", Needs: []string{"login"}, Run: w.command},
	), w.close
}

// close closes the login connection, if any.
func (w *hostDoctor) close() {
	if w.tr != nil {
		w.tr.Close()
	}
}

func (w *hostDoctor) settings(context.Context) doctor.Finding {
	e, err := w.d.Resolve(w.t)
	if err != nil {
		return doctor.Failed(err)
	}
	who := e.User
	if who == "" {
		who = "the credential cache's user"
	}
	summary := fmt.Sprintf("%s as %s, %s authentication", e.URL(), who, e.Auth)
	if e.Auth == "certificate" {
		summary = fmt.Sprintf("%s, certificate authentication", e.URL())
	}
	return doctor.Finding{Status: doctor.OK, Summary: summary, Facts: map[string][]string{"shell": {e.Shell}}}
}

func (w *hostDoctor) dns(ctx context.Context) doctor.Finding {
	return doctor.Resolve(ctx, w.eff.Host, "")
}

// listenerPorts are the configured port and the default port of the other
// scheme, each with its scheme.
func (w *hostDoctor) listenerPorts() (ports []int, https map[int]bool) {
	https = map[int]bool{w.eff.Port: w.eff.HTTPS}
	ports = []int{w.eff.Port}
	other := DefaultHTTPSPort
	if w.eff.HTTPS {
		other = DefaultHTTPPort
	}
	if other != w.eff.Port {
		ports = append(ports, other)
		https[other] = !w.eff.HTTPS
	}
	return ports, https
}

func (w *hostDoctor) tcp(ctx context.Context) doctor.Finding {
	ports, https := w.listenerPorts()
	facts := map[string][]string{}
	var configuredErr error
	for _, port := range ports {
		addr := net.JoinHostPort(w.eff.Host, strconv.Itoa(port))
		err := dialTCP(ctx, addr, w.eff.ConnectTimeout)
		label := fmt.Sprintf("%d (%s)", port, scheme(https[port]))
		if err == nil {
			w.open[port] = true
			facts["open"] = append(facts["open"], label)
			continue
		}
		facts["closed"] = append(facts["closed"], label)
		if port == w.eff.Port {
			configuredErr = err
		}
	}
	if configuredErr == nil {
		return doctor.Finding{Status: doctor.OK, Summary: "listening: " + strings.Join(facts["open"], ", ") + closedNote(facts), Facts: facts}
	}
	f := doctor.Finding{Status: doctor.Fail, Class: netClass(configuredErr).String(), Facts: facts,
		Summary: fmt.Sprintf("port %d (%s) does not answer: %v", w.eff.Port, scheme(w.eff.HTTPS), configuredErr),
		Fix:     "check that the WinRM service runs and listens there (winrm quickconfig; winrm enumerate winrm/config/listener) and the firewall"}
	for port := range w.open {
		f.Fix = fmt.Sprintf("the %s listener on port %d answers: set port: %d and winrm_https: %t in the inventory, or %s",
			scheme(https[port]), port, port, https[port], f.Fix)
	}
	return f
}

// netClass classifies a failed TCP connect (refused when nothing says
// otherwise).
func netClass(err error) remote.Class {
	if c := remote.NetClass(err); c != remote.ClassNone {
		return c
	}
	return remote.ClassRefused
}

func closedNote(facts map[string][]string) string {
	if len(facts["closed"]) == 0 {
		return ""
	}
	return "; not listening: " + strings.Join(facts["closed"], ", ")
}

func scheme(https bool) string {
	if https {
		return "HTTPS"
	}
	return "HTTP"
}

// dialTCP opens and closes a TCP connection, classifying the failure.
func dialTCP(ctx context.Context, addr string, timeout time.Duration) error {
	nd := net.Dialer{Timeout: timeout}
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// httpsPort returns the HTTPS listener port that answers, 0 when none.
func (w *hostDoctor) httpsPort() int {
	ports, https := w.listenerPorts()
	for _, p := range ports {
		if https[p] && w.open[p] {
			return p
		}
	}
	return 0
}

func (w *hostDoctor) tls(ctx context.Context) doctor.Finding {
	port := w.httpsPort()
	if port == 0 {
		return doctor.Finding{Status: doctor.Info, Summary: "no HTTPS listener answers: nothing to check"}
	}
	info, err := w.d.InspectTLS(ctx, w.t, port)
	if err != nil {
		f := doctor.Failed(err)
		if !w.eff.HTTPS {
			f.Status, f.Class = doctor.Warn, ""
			f.Summary = fmt.Sprintf("port %d does not complete a TLS handshake (remotectl uses HTTP here): %s", port, f.Summary)
		}
		return f
	}
	f := certFinding(info, w.eff.Host, w.eff.Insecure, time.Now())
	w.httpsOK = f.Status != doctor.Fail
	f.Summary = fmt.Sprintf("port %d: %s", port, f.Summary)
	if !w.eff.HTTPS && f.Status == doctor.Fail {
		// Only a problem for a switch to HTTPS.
		f.Status, f.Class = doctor.Warn, ""
	}
	return f
}

// certFinding judges a listener certificate for host.
func certFinding(info *CertInfo, host string, insecure bool, now time.Time) doctor.Finding {
	facts := map[string][]string{
		"subject":   {info.Subject},
		"issuer":    {info.Issuer},
		"names":     info.Names(),
		"not_after": {info.NotAfter.UTC().Format(time.RFC3339)},
		"tls":       {info.TLSVersion},
	}
	summary := fmt.Sprintf("certificate for %s issued by %s, valid until %s",
		doctor.ListOrNothing(info.Names()), info.Issuer, info.NotAfter.UTC().Format("2006-01-02"))
	var problems, fixes []string
	if info.TrustErr != nil {
		problems = append(problems, "not trusted: "+info.TrustErr.Error())
		if now.After(info.NotAfter) {
			fixes = append(fixes, "renew the certificate on the host (it expired)")
		} else {
			fixes = append(fixes, "set winrm_ca_cert (ansible_winrm_ca_trust_path) to the PEM of the CA that issued it")
		}
	}
	if info.NameErr != nil {
		problems = append(problems, fmt.Sprintf("does not name %s", host))
		fixes = append(fixes, "connect with a name the certificate lists (address in the inventory), or reissue it with "+host+" in its subject alternative names")
	}
	f := doctor.Finding{Status: doctor.OK, Summary: summary, Facts: facts}
	switch {
	case len(problems) > 0 && insecure:
		f.Status = doctor.Warn
		f.Summary += "; " + strings.Join(problems, "; ") + " (ignored: winrm_insecure)"
		f.Fix = strings.Join(fixes, "; ") + ", then drop winrm_insecure"
	case len(problems) > 0:
		f.Status, f.Class = doctor.Fail, remote.ClassProtocol.String()
		f.Summary += "; " + strings.Join(problems, "; ")
		f.Fix = strings.Join(fixes, "; ")
	case info.NotAfter.Sub(now) < certExpiryWarning:
		f.Status = doctor.Warn
		f.Summary += fmt.Sprintf("; expires in %d days", int(info.NotAfter.Sub(now).Hours()/24))
		f.Fix = "renew the certificate on the host before it expires"
	}
	return f
}

func (w *hostDoctor) authSchemes(ctx context.Context) doctor.Finding {
	status, schemes, err := w.d.AuthSchemes(ctx, w.t, w.eff.Port, w.eff.HTTPS)
	if err != nil {
		return doctor.Failed(err)
	}
	facts := map[string][]string{"schemes": schemes}
	if status != http.StatusUnauthorized {
		return doctor.Finding{Status: doctor.Warn, Facts: facts,
			Summary: fmt.Sprintf("an unauthenticated request got HTTP %d, not 401", status),
			Fix:     "check that the port is a WinRM listener (/wsman) and that it requires authentication"}
	}
	summary := "offers " + doctor.ListOrNothing(schemes)
	want := SchemeFor(w.eff.Auth)
	if want == nil {
		return doctor.Finding{Status: doctor.Info, Summary: summary + "; certificate authentication happens in TLS", Facts: facts}
	}
	for _, s := range schemes {
		if slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(w, s) }) {
			return doctor.Finding{Status: doctor.OK, Summary: summary + "; " + w.eff.Auth + " is among them", Facts: facts}
		}
	}
	f := doctor.Finding{Status: doctor.Fail, Class: remote.ClassAuth.String(), Facts: facts,
		Summary: fmt.Sprintf("%s; %s authentication (%s) is not offered", summary, w.eff.Auth, strings.Join(want, "/"))}
	switch {
	case w.eff.Auth == "basic" && !w.eff.HTTPS:
		f.Fix = "Windows offers Basic over HTTP only with AllowUnencrypted: use winrm_auth: ntlm (messages are encrypted), or HTTPS"
	case w.eff.Auth == "basic":
		f.Fix = "enable Basic on the host (winrm set winrm/config/service/auth @{Basic=\"true\"}), or use winrm_auth: ntlm"
	case w.eff.Auth == authKerberos:
		f.Fix = "enable Kerberos on the host (winrm set winrm/config/service/auth @{Kerberos=\"true\"}; the host must be in the domain)"
	default:
		f.Fix = "enable Negotiate on the host (winrm set winrm/config/service/auth @{Negotiate=\"true\"}), or set winrm_auth to an offered scheme"
	}
	return f
}

func (w *hostDoctor) encryption(context.Context) doctor.Finding {
	httpsListener := w.httpsPort() != 0
	switch {
	case w.eff.HTTPS:
		return doctor.Finding{Status: doctor.OK, Summary: "HTTPS: everything is encrypted by TLS"}
	case w.eff.Seal:
		mech := "NTLM"
		if w.eff.Kerberos || w.eff.Auth == authKerberos {
			mech = "Kerberos"
		}
		f := doctor.Finding{Status: doctor.OK, Summary: "HTTP with " + mech + " message encryption: nothing crosses the network in clear"}
		if !httpsListener {
			f.Summary = "only HTTP answers; " + mech + " message encryption protects it: nothing crosses the network in clear"
		}
		return f
	case w.eff.AllowUnencrypted:
		return doctor.Finding{Status: doctor.Warn,
			Summary: fmt.Sprintf("plain HTTP with %s authentication: commands, output and credentials cross the network unencrypted (winrm_allow_unencrypted, or message encryption never)", w.eff.Auth),
			Fix:     "use winrm_auth: ntlm (encrypted over HTTP) or an HTTPS listener (port 5986), then drop winrm_allow_unencrypted (ansible_winrm_message_encryption: never)"}
	}
	f := doctor.Finding{Status: doctor.Fail, Class: remote.ClassConfig.String(),
		Summary: fmt.Sprintf("%s authentication over plain HTTP would need unencrypted traffic, which remotectl refuses", w.eff.Auth)}
	if httpsListener {
		f.Fix = fmt.Sprintf("the HTTPS listener answers on %d: set winrm_https: true and port: %d", w.httpsPort(), w.httpsPort())
	} else {
		f.Summary = "only HTTP answers; " + f.Summary
		f.Fix = "use winrm_auth: ntlm (messages are encrypted over HTTP), or set up an HTTPS listener on the host (port 5986); " +
			"winrm_allow_unencrypted (Ansible: ansible_winrm_message_encryption: never) only on a trusted network"
	}
	return f
}

func (w *hostDoctor) login(ctx context.Context) doctor.Finding {
	tr, err := w.d.Dial(ctx, w.t)
	if err != nil {
		return doctor.Failed(err)
	}
	w.tr = tr
	who := w.eff.User
	switch {
	case w.eff.Auth == "certificate":
		who = "the certificate's user"
	case w.krb != nil:
		who = w.krb.principal + "@" + w.krb.realm + " (Kerberos)"
	}
	return doctor.Finding{Status: doctor.OK, Summary: fmt.Sprintf("logged in as %s and opened a %s shell", who, w.eff.Shell)}
}

func (w *hostDoctor) command(ctx context.Context) doctor.Finding {
	res, err := w.tr.Run(ctx, &remote.Cmd{Shell: "exit 0"})
	switch {
	case err != nil:
		return doctor.Failed(err)
	case res.ExitCode != 0:
		return doctor.Finding{Status: doctor.Fail, Class: remote.ClassRemoteExit.String(),
			Summary: fmt.Sprintf("`exit 0` exited %d", res.ExitCode),
			Fix:     "check the user's profile and the shell (winrm_shell) on the host"}
	}
	return doctor.Finding{Status: doctor.OK, Summary: "ran `exit 0`"}
}
