package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Network probes run from the controller, or from the host through the
// host's connection (a transport implementing remote.NetDialer: SSH
// direct-tcpip channels, which carry TCP only).

// netProbe is where a network probe runs from.
type netProbe struct {
	dial    dialFunc
	host    bool // dialing through the host: TCP only, no controller settings
	timeout time.Duration
}

// probeAddr checks that an address accepts TCP connections, or, for UDP,
// that it can be dialed, as goss's binary does (system/addr.go): UDP has no
// handshake, so a closed UDP port is reachable too, and only an address
// that cannot be dialed (no route, no such name) is not. An address that
// is not HOST:PORT is not reachable, as in goss, with the reason noted.
func probeAddr(ctx context.Context, a *AddrSpec, p netProbe) *observed {
	o := newObserved()
	if a.invalid != "" {
		return o.set("reachable", boolValue(false)).note("reachable", a.invalid)
	}
	if a.Network == "udp" {
		if p.host {
			return failure("udp addr checks cannot run from the host: its connection carries TCP only; use from: controller")
		}
		err := dialUDP(ctx, a, p.timeout)
		o.set("reachable", boolValue(err == nil))
		if err != nil {
			return o.note("reachable", err.Error())
		}
		return o.note("reachable", "UDP has no handshake: reachable means the address could be dialed, as goss says; no datagram was sent")
	}
	dial := p.dial
	if a.LocalAddress != "" && p.host {
		return failure("local-address cannot be used with from: host (the parser refuses it)")
	}
	if a.LocalAddress != "" {
		d := &net.Dialer{Timeout: p.timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(a.LocalAddress)}}
		dial = d.DialContext
	}
	conn, err := dial(ctx, "tcp", a.Address)
	if err != nil {
		o.set("reachable", boolValue(false)).note("reachable", dialProblem(ctx, err))
	} else {
		conn.Close()
		o.set("reachable", boolValue(true))
	}
	if a.ignoredLocal != "" && o.notes["reachable"] == "" {
		o.note("reachable", fmt.Sprintf("local-address %q is not an IP address: ignored, as goss does", a.ignoredLocal))
	}
	return o
}

// dialUDP dials a UDP address (sending nothing), as goss does.
func dialUDP(ctx context.Context, a *AddrSpec, timeout time.Duration) error {
	d := &net.Dialer{Timeout: timeout}
	if a.LocalAddress != "" {
		d.LocalAddr = &net.UDPAddr{IP: net.ParseIP(a.LocalAddress)}
	}
	conn, err := d.DialContext(ctx, "udp", a.Address)
	if err != nil {
		return err
	}
	return conn.Close()
}

// dialProblem words a failed connection attempt.
func dialProblem(ctx context.Context, err error) string {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return "timed out: " + err.Error()
	}
	return err.Error()
}

// maxBody bounds how much of an HTTP response body is read.
const maxBody = 16 << 20

// probeHTTP sends the check's request and observes the response.
func probeHTTP(ctx context.Context, h *HTTPSpec, p netProbe) *observed {
	client, err := httpClient(h, p)
	if err != nil {
		return failure(err.Error())
	}
	defer client.CloseIdleConnections()
	var body io.Reader
	if h.RequestBody != "" {
		body = strings.NewReader(h.RequestBody)
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, h.URL, body)
	if err != nil {
		return failure("building the request: " + err.Error())
	}
	for _, hdr := range h.RequestHeaders {
		name, val, _ := strings.Cut(hdr, ":")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if strings.EqualFold(name, "Host") {
			if req.Host == req.URL.Host {
				req.Host = val // the first Host header wins, as in goss
			}
			continue
		}
		req.Header.Add(name, val)
	}
	if h.Username != "" || h.Password != "" {
		req.SetBasicAuth(h.Username, h.Password)
	}
	resp, err := client.Do(req)
	if err != nil {
		// goss: no response (connection refused, timeout) is an error.
		return failure("no response: " + dialProblem(ctx, err))
	}
	defer resp.Body.Close()
	o := newObserved().set("status", intValue(int64(resp.StatusCode)))
	o.set("headers", textValue(formatHeaders(resp.Header)))
	if h.Body != nil {
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		switch {
		case err != nil:
			o.unavailable("body", "reading the body: "+err.Error())
		case len(data) > maxBody:
			o.unavailable("body", fmt.Sprintf("the body is larger than %d MiB", maxBody>>20))
		default:
			o.set("body", textValue(string(data)))
		}
	}
	return o
}

// formatHeaders renders response headers as "Name: value" lines, sorted.
func formatHeaders(hdr http.Header) string {
	var out []string
	for name, vals := range hdr {
		for _, v := range vals {
			out = append(out, name+": "+v)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// httpClient builds the client for one check: its TLS settings, redirects,
// proxy and timeout, connections opened by the probe's dialer.
func httpClient(h *HTTPSpec, p netProbe) (*http.Client, error) {
	tlsConf := &tls.Config{InsecureSkipVerify: h.AllowInsecure} // only when the check says allow-insecure
	if h.CAFile != "" {
		pool, err := loadPool(h.CAFile)
		if err != nil {
			return nil, err
		}
		tlsConf.RootCAs = pool
	}
	if h.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(h.CertFile, h.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tlsConf.Certificates = []tls.Certificate{cert}
	}
	tr := &http.Transport{
		DialContext:         p.dial,
		TLSClientConfig:     tlsConf,
		DisableKeepAlives:   true,
		TLSHandshakeTimeout: p.timeout,
	}
	switch {
	case h.Proxy != "":
		u, err := url.Parse(h.Proxy)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		tr.Proxy = http.ProxyURL(u)
	case !p.host:
		tr.Proxy = http.ProxyFromEnvironment
	}
	client := &http.Client{Transport: tr, Timeout: p.timeout}
	if h.NoFollowRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return client, nil
}

// loadPool reads PEM certificates from a file on the controller.
func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca-file %s holds no PEM certificate", file)
	}
	return pool, nil
}

// probeTLS connects, completes a handshake without verifying, then checks
// the presented chain and names itself, so every property gets an answer.
func probeTLS(ctx context.Context, t *TLSSpec, p netProbe, now time.Time) *observed {
	var roots *x509.CertPool
	if t.CAFile != "" {
		var err error
		if roots, err = loadPool(t.CAFile); err != nil {
			return failure(err.Error())
		}
	}
	conn, err := p.dial(ctx, "tcp", t.Address)
	if err != nil {
		o := newObserved()
		o.absent = "cannot connect: " + dialProblem(ctx, err)
		return o
	}
	defer conn.Close()
	defer watchConn(ctx, conn)()
	tc := tls.Client(conn, &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: true}) // verified below, by hand
	if err := tc.HandshakeContext(ctx); err != nil {
		o := newObserved()
		o.absent = "TLS handshake failed: " + err.Error()
		return o
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return failure("the server presented no certificate")
	}
	leaf := certs[0]
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	o := newObserved()
	_, verr := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now})
	o.set("chain-valid", boolValue(verr == nil))
	if verr != nil {
		o.note("chain-valid", verr.Error())
	}
	nerr := leaf.VerifyHostname(t.ServerName)
	o.set("names-match", boolValue(nerr == nil))
	if nerr != nil {
		o.note("names-match", nerr.Error())
	}
	days := int64(math.Floor(leaf.NotAfter.Sub(now).Hours() / 24))
	o.set("days-left", intValue(days)).note("days-left", "expires "+leaf.NotAfter.UTC().Format(time.RFC3339))
	o.set("issuer", stringValue(leaf.Issuer.CommonName))
	return o.set("dns-names", listValue(leaf.DNSNames))
}

// probeDNS resolves from the controller (the system resolver, or the
// check's server) or, with a server, through the host's connection.
func probeDNS(ctx context.Context, s *DNSSpec, p netProbe) *observed {
	if s.Server != "" {
		addrs, err := dnsLookup(ctx, p.dial, p.host, s.Server, s.Type, s.Name)
		if err != nil && !errors.Is(err, errNXDomain) && !errors.Is(err, errRcode) {
			msg := "the DNS server " + s.Server + " did not answer: " + err.Error()
			if s.Type == "" {
				// goss's untyped lookup (A and AAAA, LookupHost) drops the
				// server's errors: not resolvable.
				return resolved(s, nil, msg)
			}
			// goss: a server that does not answer a typed query is an
			// error, not "not resolvable".
			return failure(msg)
		}
		return lookupResult(s, addrs, err)
	}
	addrs, err := systemLookup(ctx, s.Type, s.Name)
	return lookupResult(s, addrs, err)
}

// lookupResult turns a lookup's outcome into an observation: a name that
// does not resolve (NXDOMAIN, or the server refuses or fails the query, as
// the system resolver reports too), or a server that does not answer, is
// resolvable: false (as in goss); other errors could not be evaluated.
func lookupResult(s *DNSSpec, addrs []string, err error) *observed {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case err == nil:
		return resolved(s, addrs, "")
	case errors.Is(err, errNXDomain), errors.Is(err, errRcode), errors.As(err, &dnsErr), errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED):
		return resolved(s, nil, err.Error())
	}
	return failure(err.Error())
}

// systemLookup resolves with the controller's resolver.
func systemLookup(ctx context.Context, qtype, name string) ([]string, error) {
	r := net.DefaultResolver
	switch qtype {
	case "", "A", "AAAA":
		network := map[string]string{"": "ip", "A": "ip4", "AAAA": "ip6"}[qtype]
		ips, err := r.LookupNetIP(ctx, network, name)
		var out []string
		for _, ip := range ips {
			out = appendUnique(out, ip.Unmap().String())
		}
		return out, err
	case "CNAME":
		cname, err := r.LookupCNAME(ctx, name)
		if err != nil || strings.EqualFold(fqdn(cname), fqdn(name)) {
			return nil, err // a name without a CNAME record
		}
		return []string{fqdn(cname)}, nil
	case "MX":
		mxs, err := r.LookupMX(ctx, name)
		var out []string
		for _, mx := range mxs {
			out = append(out, fmt.Sprintf("%d %s", mx.Pref, fqdn(mx.Host)))
		}
		return out, err
	case "TXT":
		return r.LookupTXT(ctx, name)
	case "SRV":
		_, srvs, err := r.LookupSRV(ctx, "", "", name)
		var out []string
		for _, s := range srvs {
			out = append(out, fmt.Sprintf("%d %d %d %s", s.Priority, s.Weight, s.Port, fqdn(s.Target)))
		}
		return out, err
	case "NS":
		nss, err := r.LookupNS(ctx, name)
		var out []string
		for _, ns := range nss {
			out = append(out, fqdn(ns.Host))
		}
		return out, err
	case "PTR":
		names, err := r.LookupAddr(ctx, name)
		for i, n := range names {
			names[i] = fqdn(n)
		}
		return names, err
	}
	return nil, fmt.Errorf("unknown record type %q", qtype)
}
