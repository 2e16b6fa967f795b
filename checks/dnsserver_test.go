package checks

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testDNS is a minimal authoritative DNS server for tests, on loopback, over
// UDP and TCP. Records are keyed by lower-case name (with the final dot)
// and type; a name with no record of any type is NXDOMAIN.
type testDNS struct {
	addr    string
	records map[dnsKey][]testRR
	udp     net.PacketConn
	tcp     net.Listener
	wg      sync.WaitGroup

	mu    sync.Mutex        // guards records and conns
	conns map[net.Conn]bool // open TCP connections, closed at cleanup
}

type dnsKey struct {
	name  string
	qtype uint16
}

// testRR is one answer record: its owner name and encoded data.
type testRR struct {
	name  string
	qtype uint16
	data  []byte
}

func startTestDNS(t *testing.T) *testDNS {
	t.Helper()
	// UDP and TCP on one port: pick a free UDP port, retry if its TCP twin is taken.
	var udp net.PacketConn
	var tcp net.Listener
	for attempt := 0; tcp == nil; attempt++ {
		var err error
		if udp, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			udp.Close()
			if attempt == 20 {
				t.Fatal(err)
			}
		}
	}
	s := &testDNS{addr: tcp.Addr().String(), records: make(map[dnsKey][]testRR), udp: udp, tcp: tcp, conns: make(map[net.Conn]bool)}
	s.wg.Add(2)
	go s.serveUDP()
	go s.serveTCP()
	t.Cleanup(func() {
		udp.Close()
		tcp.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *testDNS) add(name string, qtype uint16, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = strings.ToLower(fqdn(name))
	s.records[dnsKey{name, qtype}] = append(s.records[dnsKey{name, qtype}], testRR{name, qtype, data})
}

// Record data encoders.
func rrA(ip string) []byte    { a := netip.MustParseAddr(ip).As4(); return a[:] }
func rrAAAA(ip string) []byte { a := netip.MustParseAddr(ip).As16(); return a[:] }
func rrName(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}
func rrMX(pref uint16, host string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, pref), rrName(host)...)
}
func rrTXT(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, byte(len(p)))
		b = append(b, p...)
	}
	return b
}
func rrSRV(prio, weight, port uint16, target string) []byte {
	b := binary.BigEndian.AppendUint16(nil, prio)
	b = binary.BigEndian.AppendUint16(b, weight)
	b = binary.BigEndian.AppendUint16(b, port)
	return append(b, rrName(target)...)
}

// answer builds the response to a query; nil for a malformed query.
func (s *testDNS) answer(q []byte, udp bool) []byte {
	if len(q) < 12 {
		return nil
	}
	off := 12
	var labels []string
	for off < len(q) && q[off] != 0 {
		l := int(q[off])
		if off+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[off+1:off+1+l]))
		off += 1 + l
	}
	if off+5 > len(q) {
		return nil
	}
	question := q[12 : off+5]
	qtype := binary.BigEndian.Uint16(q[off+1:])
	name := strings.ToLower(strings.Join(labels, ".") + ".")
	s.mu.Lock()
	defer s.mu.Unlock()

	var answers []testRR
	exists := false
	for k := range s.records {
		if k.name == name {
			exists = true
		}
	}
	// Follow a CNAME for other types, as a recursive server answers.
	if cn := s.records[dnsKey{name, 5}]; len(cn) > 0 && qtype != 5 {
		answers = append(answers, cn...)
		target := strings.ToLower(readTestName(cn[0].data))
		answers = append(answers, s.records[dnsKey{target, qtype}]...)
	} else {
		answers = s.records[dnsKey{name, qtype}]
	}

	resp := make([]byte, 12, 512)
	copy(resp, q[:2])
	flags := uint16(0x8180) // QR, RD, RA
	if !exists {
		flags |= 3 // NXDOMAIN
	}
	binary.BigEndian.PutUint16(resp[4:], 1)
	binary.BigEndian.PutUint16(resp[6:], uint16(len(answers)))
	resp = append(resp, question...)
	for _, rr := range answers {
		if rr.name == name {
			resp = append(resp, 0xC0, 12) // pointer to the question's name
		} else {
			resp = append(resp, rrName(rr.name)...)
		}
		resp = binary.BigEndian.AppendUint16(resp, rr.qtype)
		resp = binary.BigEndian.AppendUint16(resp, 1)
		resp = binary.BigEndian.AppendUint32(resp, 300)
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(rr.data)))
		resp = append(resp, rr.data...)
	}
	if udp && len(resp) > 512 {
		resp = append(resp[:12], question...)
		binary.BigEndian.PutUint16(resp[6:], 0)
		flags |= 0x0200 // TC: ask again over TCP
	}
	binary.BigEndian.PutUint16(resp[2:], flags)
	return resp
}

func readTestName(b []byte) string {
	var labels []string
	for i := 0; i < len(b) && b[i] != 0; i += 1 + int(b[i]) {
		labels = append(labels, string(b[i+1:i+1+int(b[i])]))
	}
	return strings.Join(labels, ".") + "."
}

func (s *testDNS) serveUDP() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := s.udp.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp := s.answer(buf[:n], true); resp != nil {
			_, _ = s.udp.WriteTo(resp, from)
		}
	}
}

func (s *testDNS) serveTCP() {
	defer s.wg.Done()
	for {
		conn, err := s.tcp.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[conn] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				conn.Close()
			}()
			for {
				var size [2]byte
				if _, err := io.ReadFull(conn, size[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(size[:]))
				if _, err := io.ReadFull(conn, q); err != nil {
					return
				}
				resp := s.answer(q, false)
				if resp == nil {
					return
				}
				framed := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
				if _, err := conn.Write(append(framed, resp...)); err != nil && !errors.Is(err, net.ErrClosed) {
					return
				}
			}
		}()
	}
}
