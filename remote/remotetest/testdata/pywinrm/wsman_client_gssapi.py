#!/usr/bin/python3
"""wsman_client.py, with Kerberos message encryption done by MIT's GSS-API.

Debian's pykerberos (python3-kerberos 1.1) lacks the WinRM wrap functions
requests-kerberos needs for message encryption over HTTP, so pywinrm can
use Kerberos only over HTTPS (or unencrypted) with it. This script replaces
requests-kerberos's HTTPKerberosAuth, inside pywinrm, by an equivalent built
on python-gssapi (Debian's python3-gssapi, MIT krb5) that wraps messages as
pyspnego does for WinRM (gss_wrap_iov with a header, the data and padding;
gss_unwrap of header + data). pywinrm's own encryption.py frames the
messages. With RCTEST_GSSAPI_MECH=spnego, MIT's SPNEGO mechanism makes the
tokens (a NegTokenInit proposing Kerberos) instead of bare Kerberos ones.
Configuration and output are wsman_client.py's.
"""

import base64
import os
import sys

import gssapi
import gssapi.raw
import requests
import winrm.transport

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsman_client  # noqa: E402


class GSSAPIKerberosAuth(requests.auth.AuthBase):
    """The subset of requests_kerberos.HTTPKerberosAuth pywinrm uses."""

    winrm_encryption_available = True

    def __init__(self, mutual_authentication=None, delegate=False, force_preemptive=True,
                 principal=None, hostname_override=None, sanitize_mutual_error_response=False,
                 service="HTTP", send_cbt=True):
        self.service = service
        self.hostname_override = hostname_override
        self.principal = principal
        self.delegate = delegate
        self.context = {}
        self.auth_done = False

    def _context(self, host):
        name = gssapi.Name("%s@%s" % (self.service, self.hostname_override or host),
                           gssapi.NameType.hostbased_service)
        creds = None
        if self.principal:
            creds = gssapi.Credentials(name=gssapi.Name(self.principal, gssapi.NameType.kerberos_principal),
                                       usage="initiate")
        flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.integrity |
                 gssapi.RequirementFlag.confidentiality | gssapi.RequirementFlag.out_of_sequence_detection)
        if self.delegate:
            flags |= gssapi.RequirementFlag.delegate_to_peer
        mech = gssapi.MechType.kerberos
        if os.environ.get("RCTEST_GSSAPI_MECH") == "spnego":
            mech = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")  # MIT's SPNEGO, proposing Kerberos
        return gssapi.SecurityContext(name=name, creds=creds, usage="initiate", flags=flags, mech=mech)

    def __call__(self, request):
        if not self.auth_done:
            host = requests.utils.urlparse(request.url).hostname
            ctx = self.context[host] = self._context(host)
            token = ctx.step()
            request.headers["Authorization"] = "Negotiate " + base64.b64encode(token).decode()
            request.register_hook("response", self._complete)
        return request

    def _complete(self, response, **kwargs):
        host = requests.utils.urlparse(response.request.url).hostname
        value = response.headers.get("www-authenticate", "")
        if response.status_code == 401:
            return response
        for part in value.split(","):
            scheme, _, token = part.strip().partition(" ")
            if scheme.lower() == "negotiate" and token:
                self.context[host].step(base64.b64decode(token))
        if not self.context[host].complete:
            raise RuntimeError("mutual authentication failed: no AP-REP from the server")
        self.auth_done = True
        return response

    def wrap_winrm(self, host, message):
        iov = gssapi.raw.IOV(gssapi.raw.IOVBufferType.header, message, gssapi.raw.IOVBufferType.padding,
                             std_layout=False)
        gssapi.raw.wrap_iov(self.context[host], iov, confidential=True)
        header, data, padding = iov[0].value or b"", iov[1].value or b"", iov[2].value or b""
        return data + padding, header

    def unwrap_winrm(self, host, message, header):
        return gssapi.raw.unwrap(self.context[host], header + message).message


if __name__ == "__main__":
    winrm.transport.HTTPKerberosAuth = GSSAPIKerberosAuth
    winrm.transport.HAVE_KERBEROS = True
    wsman_client.main()
