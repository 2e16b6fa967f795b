package checks

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// A minimal DNS client (RFC 1035) for dns checks with a server: the query
// goes to that server only (no /etc/hosts, no search domains), as goss
// does, over UDP with a fallback to TCP when the answer is truncated, or
// over TCP alone through a host's connection (from: host).

// DNS record types.
var dnsTypeCodes = map[string]uint16{
	"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33, "SSHFP": 44, "CAA": 257,
}

// errNXDomain: the server says the name does not exist.
var errNXDomain = errors.New("no such name (NXDOMAIN)")

// errRcode: the server answered with an error code other than NXDOMAIN
// (REFUSED, SERVFAIL, ...): the name does not resolve through it.
var errRcode = errors.New("the DNS server answered with an error")

// dialFunc opens a connection, from the controller or through a host.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// dnsLookup asks server for the records of qtype ("" for A and AAAA) of
// name, formatted as goss does. tcpOnly is for dialers that only carry TCP.
func dnsLookup(ctx context.Context, dial dialFunc, tcpOnly bool, server, qtype, name string) ([]string, error) {
	if qtype == "" {
		a, errA := dnsLookup(ctx, dial, tcpOnly, server, "A", name)
		aaaa, errAAAA := dnsLookup(ctx, dial, tcpOnly, server, "AAAA", name)
		if errA != nil && errAAAA != nil {
			return nil, errA
		}
		return append(a, aaaa...), nil
	}
	qname := name
	if qtype == "PTR" {
		var err error
		if qname, err = reverseName(name); err != nil {
			return nil, err
		}
	}
	query, id, err := buildQuery(qname, dnsTypeCodes[qtype])
	if err != nil {
		return nil, err
	}
	var resp []byte
	if !tcpOnly {
		resp, err = exchangeUDP(ctx, dial, server, query)
	}
	if tcpOnly || (err == nil && truncated(resp)) {
		resp, err = exchangeTCP(ctx, dial, server, query)
	}
	if err != nil {
		return nil, err
	}
	return parseAnswers(resp, id, dnsTypeCodes[qtype])
}

// reverseName is the PTR name of an IP address.
func reverseName(ip string) (string, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", fmt.Errorf("%q is not an IP address", ip)
	}
	var b strings.Builder
	if a.Is4() || a.Is4In6() {
		v4 := a.Unmap().As4()
		for i := 3; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(v4[i])) + ".")
		}
		return b.String() + "in-addr.arpa.", nil
	}
	v6 := a.As16()
	const hexDigits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b.WriteByte(hexDigits[v6[i]&0xF])
		b.WriteByte('.')
		b.WriteByte(hexDigits[v6[i]>>4])
		b.WriteByte('.')
	}
	return b.String() + "ip6.arpa.", nil
}

// buildQuery encodes a recursive query for name and qtype (class IN).
func buildQuery(name string, qtype uint16) ([]byte, uint16, error) {
	var idb [2]byte
	_, _ = rand.Read(idb[:])
	id := binary.BigEndian.Uint16(idb[:])
	msg := make([]byte, 12, 512)
	binary.BigEndian.PutUint16(msg[0:], id)
	binary.BigEndian.PutUint16(msg[2:], 0x0100) // RD
	binary.BigEndian.PutUint16(msg[4:], 1)      // QDCOUNT
	name = strings.TrimSuffix(name, ".")
	if name != "" {
		for _, label := range strings.Split(name, ".") {
			if label == "" || len(label) > 63 {
				return nil, 0, fmt.Errorf("%q is not a valid DNS name", name)
			}
			msg = append(msg, byte(len(label)))
			msg = append(msg, label...)
		}
	}
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint16(msg, qtype)
	msg = binary.BigEndian.AppendUint16(msg, 1) // IN
	if len(msg) > 512 {
		return nil, 0, fmt.Errorf("%q is too long for a DNS name", name)
	}
	return msg, id, nil
}

func truncated(resp []byte) bool { return len(resp) >= 4 && resp[2]&0x02 != 0 }

// exchangeUDP sends a query over UDP and waits for the answer with its id.
func exchangeUDP(ctx context.Context, dial dialFunc, server string, query []byte) ([]byte, error) {
	conn, err := dial(ctx, "udp", server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer watchConn(ctx, conn)()
	if _, err := conn.Write(query); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		if n >= 12 && buf[0] == query[0] && buf[1] == query[1] {
			return buf[:n], nil
		}
	}
}

// exchangeTCP sends a query over TCP (RFC 1035 4.2.2: a 2-byte length first).
func exchangeTCP(ctx context.Context, dial dialFunc, server string, query []byte) ([]byte, error) {
	conn, err := dial(ctx, "tcp", server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer watchConn(ctx, conn)()
	framed := binary.BigEndian.AppendUint16(nil, uint16(len(query)))
	if _, err := conn.Write(append(framed, query...)); err != nil {
		return nil, ctxErr(ctx, err)
	}
	var size [2]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil, ctxErr(ctx, err)
	}
	resp := make([]byte, binary.BigEndian.Uint16(size[:]))
	if _, err := io.ReadFull(conn, resp); err != nil {
		return nil, ctxErr(ctx, err)
	}
	return resp, nil
}

// watchConn makes conn give up when ctx does: connections through an SSH
// channel may not support deadlines, so conn is also closed when ctx ends.
// It returns the function that stops watching.
func watchConn(ctx context.Context, conn net.Conn) func() bool {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	return context.AfterFunc(ctx, func() { conn.Close() })
}

// ctxErr prefers the context's reason over the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("no answer: %w", ctx.Err())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("no answer: %w", context.DeadlineExceeded)
	}
	return err
}

// dnsMessage reads a DNS message with bounds checks.
type dnsMessage struct {
	b []byte
}

var errShortMessage = errors.New("malformed DNS answer")

func (m dnsMessage) u16(off int) (uint16, error) {
	if off+2 > len(m.b) {
		return 0, errShortMessage
	}
	return binary.BigEndian.Uint16(m.b[off:]), nil
}

// name reads a possibly compressed name at off; it returns the name with a
// trailing dot and the offset after it.
func (m dnsMessage) name(off int) (string, int, error) {
	var labels []string
	end := -1
	for hops := 0; ; hops++ {
		if off >= len(m.b) || hops > 128 {
			return "", 0, errShortMessage
		}
		l := int(m.b[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return strings.Join(labels, ".") + ".", end, nil
		case l&0xC0 == 0xC0:
			if off+2 > len(m.b) {
				return "", 0, errShortMessage
			}
			if end < 0 {
				end = off + 2
			}
			off = int(binary.BigEndian.Uint16(m.b[off:]) & 0x3FFF)
		case l&0xC0 != 0:
			return "", 0, errShortMessage
		default:
			if off+1+l > len(m.b) {
				return "", 0, errShortMessage
			}
			labels = append(labels, string(m.b[off+1:off+1+l]))
			off += 1 + l
		}
	}
}

// parseAnswers reads the records of qtype in a response to the query id.
func parseAnswers(resp []byte, id, qtype uint16) ([]string, error) {
	m := dnsMessage{resp}
	if len(resp) < 12 {
		return nil, errShortMessage
	}
	if binary.BigEndian.Uint16(resp) != id || resp[2]&0x80 == 0 {
		return nil, errors.New("the DNS answer does not match the query")
	}
	switch rcode := resp[3] & 0x0F; rcode {
	case 0:
	case 3:
		return nil, errNXDomain
	default:
		return nil, fmt.Errorf("%w: code %d (%s)", errRcode, rcode, rcodeName(rcode))
	}
	qd, _ := m.u16(4)
	an, _ := m.u16(6)
	off := 12
	for range qd {
		_, next, err := m.name(off)
		if err != nil {
			return nil, err
		}
		off = next + 4
	}
	var out []string
	for range an {
		_, next, err := m.name(off)
		if err != nil {
			return nil, err
		}
		typ, err1 := m.u16(next)
		rdlen, err2 := m.u16(next + 8)
		rdata := next + 10
		if err1 != nil || err2 != nil || rdata+int(rdlen) > len(resp) {
			return nil, errShortMessage
		}
		off = rdata + int(rdlen)
		if typ != qtype {
			continue // the CNAME records leading to the answer
		}
		rec, err := m.record(typ, rdata, int(rdlen))
		if err != nil {
			return nil, err
		}
		out = append(out, rec...)
	}
	return out, nil
}

// record formats one record's data as goss does.
func (m dnsMessage) record(typ uint16, off, n int) ([]string, error) {
	data := m.b[off : off+n]
	switch typ {
	case 1, 28: // A, AAAA
		ip, ok := netip.AddrFromSlice(data)
		if !ok || (typ == 1) != (n == 4) {
			return nil, errShortMessage
		}
		return []string{ip.String()}, nil
	case 2, 5, 12: // NS, CNAME, PTR
		name, _, err := m.name(off)
		return []string{name}, err
	case 15: // MX
		pref, err := m.u16(off)
		if err != nil {
			return nil, err
		}
		name, _, err := m.name(off + 2)
		return []string{strconv.Itoa(int(pref)) + " " + name}, err
	case 16: // TXT: one or more character strings
		var out []string
		for i := 0; i < n; {
			l := int(data[i])
			if i+1+l > n {
				return nil, errShortMessage
			}
			out = append(out, string(data[i+1:i+1+l]))
			i += 1 + l
		}
		return out, nil
	case 33: // SRV
		if n < 7 {
			return nil, errShortMessage
		}
		prio, _ := m.u16(off)
		weight, _ := m.u16(off + 2)
		port, _ := m.u16(off + 4)
		target, _, err := m.name(off + 6)
		return []string{fmt.Sprintf("%d %d %d %s", prio, weight, port, target)}, err
	case 44: // SSHFP: "algorithm type FINGERPRINT", the fingerprint in upper-case hex
		if n < 3 {
			return nil, errShortMessage
		}
		return []string{fmt.Sprintf("%d %d %s", data[0], data[1], strings.ToUpper(hex.EncodeToString(data[2:])))}, nil
	case 257: // CAA: "flag tag value"
		if n < 2 || 2+int(data[1]) > n {
			return nil, errShortMessage
		}
		tagEnd := 2 + int(data[1])
		return []string{fmt.Sprintf("%d %s %s", data[0], data[2:tagEnd], data[tagEnd:])}, nil
	}
	return nil, nil
}

func rcodeName(rcode byte) string {
	switch rcode {
	case 1:
		return "FORMERR"
	case 2:
		return "SERVFAIL"
	case 4:
		return "NOTIMP"
	case 5:
		return "REFUSED"
	}
	return "rcode " + strconv.Itoa(int(rcode))
}

// controllerDial dials from the controller.
func controllerDial(timeout time.Duration) dialFunc {
	d := &net.Dialer{Timeout: timeout}
	return d.DialContext
}
