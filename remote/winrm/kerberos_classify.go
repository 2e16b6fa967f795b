package winrm

import (
	"errors"
	"strings"

	"github.com/jcmturner/gokrb5/v8/messages"
)

// Kerberos failures and what to do about them, recognized by the error
// codes of RFC 4120 (from the KDC through gokrb5, or the host's KRB-ERROR)
// and by gokrb5's messages.
var krbHints = []struct {
	match []string // any of these in the error's text
	hint  string
}{
	{[]string{"KRB_AP_ERR_SKEW", "KDC_ERR_SKEW", "clock skew"},
		"the clocks of this machine, the KDC and the host differ by more than the allowed skew (5 minutes): " +
			"synchronize them (chrony or ntpd here, w32tm /resync on Windows)"},
	{[]string{"KRB_AP_ERR_TKT_EXPIRED", "KDC_ERR_TGT_REVOKED", "TKT_EXPIRED"},
		"the Kerberos ticket expired: kinit again (klist shows the credential cache and its tickets' end times)"},
	{[]string{"KDC_ERR_S_PRINCIPAL_UNKNOWN"},
		"the KDC knows no service principal for this name: register it on the host's computer account " +
			"(setspn -S HTTP/NAME DOMAIN\\COMPUTER) or connect with the name its SPN has: winrm_kerberos_hostname " +
			"(ansible_winrm_kerberos_hostname_override)"},
	{[]string{"KRB_AP_ERR_MODIFIED", "KRB_AP_ERR_BADKEYVER", "KRB_AP_ERR_NOKEY"},
		"the host could not decrypt the ticket: its SPN belongs to another account (setspn -Q HTTP/NAME lists duplicates) " +
			"or the host's keytab is stale; check winrm_kerberos_hostname (ansible_winrm_kerberos_hostname_override)"},
	{[]string{"KDC_ERR_C_PRINCIPAL_UNKNOWN"},
		"the KDC does not know this user: check the user (ansible_user, as user@REALM with the realm in upper case)"},
	{[]string{"KDC_ERR_PREAUTH_FAILED", "KRB_AP_ERR_BAD_INTEGRITY", "KDC_ERR_KEY_EXPIRED", "password/keytab incorrect"},
		"the KDC refused the password or keytab: check the password (password_env), or the keytab's key version (klist -k)"},
	{[]string{"WRONG_REALM", "cannot find KDC", "no KDCs defined", "unknown realm", "error getting KDCs"},
		"no KDC is known for this realm: check the realm (user@REALM, in upper case; default_realm) and its kdc lines in " +
			"[realms] of krb5.conf (KRB5_CONFIG), or DNS SRV records"},
	{[]string{"communicating with KDC", "failed to communicate", "networking", "connection refused", "i/o timeout"},
		"the KDC could not be reached: check the kdc lines of krb5.conf (KRB5_CONFIG) and that port 88 is open to it"},
}

// krbHint returns the hint of a Kerberos failure.
func krbHint(e *krbError) string {
	text := e.Error()
	var ke messages.KRBError
	if errors.As(e.err, &ke) {
		text += " " + ke.Error()
	}
	for _, h := range krbHints {
		for _, m := range h.match {
			if strings.Contains(text, m) {
				return h.hint
			}
		}
	}
	var status *statusError
	if errors.As(e.err, &status) {
		return "the host refused the Kerberos ticket: check that the user may log in there (Remote Management Users), " +
			"and that Kerberos is enabled on its WinRM listener (winrm get winrm/config/service/auth)"
	}
	return "check the Kerberos setup: klist (the tickets), the realm and KDCs in krb5.conf (KRB5_CONFIG)"
}
