package winrm

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/remotectl/remotectl/doctor"
	"github.com/remotectl/remotectl/remote"
)

// Doctor steps of Kerberos (winrm_auth kerberos or negotiate): the user's
// credentials (credential cache found and valid, keytab, password), the
// KDCs of the realm reachable, the service principal's name and realm,
// and a service ticket obtained from the KDC. The auth-schemes step then
// checks that the host offers Negotiate or Kerberos.

// usesKerberos reports whether a target's method may use Kerberos.
func usesKerberos(t remote.Target) bool {
	a := strings.ToLower(t.WinRM.Auth)
	return a == authKerberos || a == authNegotiate
}

// kerberosSteps are the Kerberos steps, run after settings.
func (w *hostDoctor) kerberosSteps() []doctor.Step {
	if !usesKerberos(w.t) {
		return nil
	}
	return []doctor.Step{
		{Name: "kerberos-credentials", Run: w.krbCredentials},
		{Name: "kerberos-kdc", Needs: []string{"kerberos-credentials"}, Run: w.krbKDC},
		{Name: "kerberos-spn", Needs: []string{"kerberos-credentials"}, Run: w.krbSPN},
		{Name: "kerberos-ticket", Needs: []string{"kerberos-kdc", "kerberos-spn"}, Run: w.krbTicket},
	}
}

// notUsed is the finding of a Kerberos step when negotiate chose NTLM.
func (w *hostDoctor) notUsed() (doctor.Finding, bool) {
	if w.krb != nil {
		return doctor.Finding{}, false
	}
	return doctor.Finding{Status: doctor.Info, Summary: "Kerberos is not used (negotiate falls back to NTLM)"}, true
}

func (w *hostDoctor) krbCredentials(context.Context) doctor.Finding {
	cfg, err := w.d.resolve(w.t)
	if err != nil {
		return doctor.Failed(err)
	}
	if cfg.krb == nil {
		f := doctor.Failed(cfg.krbSkipped)
		f.Status, f.Class = doctor.Warn, ""
		f.Summary = "negotiate will use NTLM: Kerberos is not possible: " + f.Summary
		return f
	}
	w.krb = cfg.krb
	k := cfg.krb
	who := k.principal + "@" + k.realm
	facts := map[string][]string{"principal": {who}, "krb5.conf": {k.confPath}}
	switch k.source {
	case krbFromKeytab:
		facts["keytab"] = []string{k.keytabPath}
		return doctor.Finding{Status: doctor.OK, Summary: "keytab " + k.keytabPath + " for " + who, Facts: facts}
	case krbFromPassword:
		return doctor.Finding{Status: doctor.OK, Summary: "a password for " + who + " (logged in to the KDC at connection)", Facts: facts}
	}
	facts["ccache"] = []string{k.ccachePath}
	summary := "credential cache " + k.ccachePath + " of " + who
	if cc, err := credentials.LoadCCache(k.ccachePath); err == nil {
		if tgt, ok := cc.GetEntry(types.PrincipalName{NameType: 2, NameString: []string{"krbtgt", k.realm}}); ok {
			facts["tgt_end"] = []string{tgt.EndTime.UTC().Format(time.RFC3339)}
			summary += ", its ticket-granting ticket valid until " + tgt.EndTime.Local().Format(time.DateTime)
			if time.Until(tgt.EndTime) < time.Hour {
				return doctor.Finding{Status: doctor.Warn, Summary: summary + " (less than an hour left)", Facts: facts,
					Fix: "renew it before long runs: kinit " + who + " (or kinit -R)"}
			}
		}
	}
	return doctor.Finding{Status: doctor.OK, Summary: summary, Facts: facts}
}

func (w *hostDoctor) krbKDC(ctx context.Context) doctor.Finding {
	if f, skip := w.notUsed(); skip {
		return f
	}
	k := w.krb
	_, kdcs, err := k.conf.GetKDCs(k.realm, true)
	if err != nil || len(kdcs) == 0 {
		return doctor.Finding{Status: doctor.Fail, Class: remote.ClassAuth.String(),
			Summary: fmt.Sprintf("no KDC known for realm %s: %v", k.realm, err),
			Fix:     "add the realm's kdc lines to [realms] in " + k.confPath + " (or enable dns_lookup_kdc), and check the realm of the user (user@REALM)"}
	}
	var addrs, reached []string
	for i := 1; i <= len(kdcs); i++ {
		addrs = append(addrs, kdcs[i])
	}
	var lastErr error
	for _, a := range addrs {
		if lastErr = dialTCP(ctx, a, w.eff.ConnectTimeout); lastErr == nil {
			reached = append(reached, a)
		}
	}
	facts := map[string][]string{"kdcs": addrs, "reachable": reached}
	if len(reached) == 0 {
		return doctor.Finding{Status: doctor.Fail, Class: netClass(lastErr).String(), Facts: facts,
			Summary: fmt.Sprintf("no KDC of %s answers on TCP (%s): %v", k.realm, strings.Join(addrs, ", "), lastErr),
			Fix:     "check the kdc lines of " + k.confPath + ", that the KDC runs and that port 88 is open to it"}
	}
	return doctor.Finding{Status: doctor.OK, Summary: "KDC of " + k.realm + " reachable: " + strings.Join(reached, ", "), Facts: facts}
}

func (w *hostDoctor) krbSPN(ctx context.Context) doctor.Finding {
	if f, skip := w.notUsed(); skip {
		return f
	}
	k := w.krb
	realm := k.spnRealm
	if realm == "" {
		realm = k.realm
	}
	spn := k.spn + "@" + realm
	facts := map[string][]string{"spn": {spn}}
	host := strings.TrimPrefix(k.spn, "HTTP/")
	if net.ParseIP(host) != nil {
		return doctor.Finding{Status: doctor.Warn, Facts: facts,
			Summary: "service principal " + spn + " names an IP address: domain SPNs name hosts (HTTP/host.domain)",
			Fix:     "set winrm_kerberos_hostname (ansible_winrm_kerberos_hostname_override) to the host's DNS name"}
	}
	rctx, cancel := context.WithTimeout(ctx, w.eff.ConnectTimeout)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(rctx, host); err != nil {
		return doctor.Finding{Status: doctor.Warn, Facts: facts,
			Summary: fmt.Sprintf("service principal %s: %s does not resolve (%v)", spn, host, err),
			Fix:     "check winrm_kerberos_hostname (ansible_winrm_kerberos_hostname_override): the SPN is normally the host's DNS name"}
	}
	return doctor.Finding{Status: doctor.OK, Summary: "service principal " + spn, Facts: facts}
}

func (w *hostDoctor) krbTicket(context.Context) doctor.Finding {
	if f, skip := w.notUsed(); skip {
		return f
	}
	a := &krbAuth{s: w.krb}
	if w.krb.source == krbFromPassword {
		cfg, err := w.d.resolve(w.t)
		if err != nil {
			return doctor.Failed(err)
		}
		a.password = cfg.password
	}
	if err := a.ticket(); err != nil {
		return doctor.Failed(classify(opDial, err))
	}
	etype := etypeName(a.key.KeyType)
	f := doctor.Finding{Status: doctor.OK, Facts: map[string][]string{"etype": {etype}},
		Summary: fmt.Sprintf("obtained a service ticket for %s (session key %s)", w.krb.spn, etype)}
	if !slices.Contains([]int32{17, 18, 19, 20}, a.key.KeyType) && !w.eff.HTTPS {
		f.Status, f.Class = doctor.Fail, remote.ClassAuth.String()
		f.Summary += ": message encryption over HTTP needs an AES session key"
		f.Fix = "enable AES for the host's account (msDS-SupportedEncryptionTypes), or use HTTPS"
	}
	return f
}

// etypeName is the RFC 3961 name of an encryption type (the longest of
// its aliases, e.g. aes256-cts-hmac-sha1-96).
func etypeName(id int32) string {
	best := fmt.Sprint(id)
	for name, v := range etypeID.ETypesByName {
		if v == id && (len(name) > len(best) || len(name) == len(best) && name < best) {
			best = name
		}
	}
	return best
}
