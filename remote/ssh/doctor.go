package ssh

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

// This file holds what `remotectl doctor` needs to look inside a connection
// step by step: the effective settings of a target, the server's
// identification and algorithm offer (read from the raw connection, before
// any cryptography), and the authentication methods the server accepts.

// Effective are the settings a Dial of one target would use, after the
// inventory, ssh_config and Options are combined.
type Effective struct {
	Name        string // inventory name
	Host        string // what is connected to (HostName)
	Port        int
	User        string
	Address     string // host:port
	HostKeyName string // the host:port looked up in known_hosts

	// IdentityFiles are the key files a login reads; DefaultIdentities
	// says they are OpenSSH's defaults because nothing names any.
	IdentityFiles     []string
	DefaultIdentities bool
	IdentitiesOnly    bool
	AgentSocket       string // "" = no agent

	KnownHostsFiles []string
	HostKeyPolicy   string // "strict", "accept-new" or "off"
	ProxyJump       string // "" = direct
	ProxyCommand    string // "" = none; tokens unexpanded
	ConnectTimeout  time.Duration
	PasswordEnv     string // the environment variable naming the password, if any

	// Offer lists the credentials a login would offer, in order ("key
	// /path", "agent key SHA256:...", "password"); Notes say why others
	// could not be offered (missing files, encrypted keys, no agent).
	Offer []string
	Notes []string
	// PublicKeys and Password say which kinds of credentials Offer holds.
	PublicKeys bool
	Password   bool
}

// Resolve returns the effective settings of t, reading ssh_config, the key
// files and the agent as a Dial would, without connecting to the host and
// without asking for any secret.
func (d *Dialer) Resolve(t remote.Target) (Effective, error) {
	p, err := d.resolveTarget(t)
	if err != nil {
		return Effective{Name: t.Name}, err
	}
	files, explicit := d.identityFiles(p)
	e := Effective{
		Name:              p.name,
		Host:              p.hostname,
		Port:              p.port,
		User:              p.user,
		Address:           p.addr(),
		HostKeyName:       p.hostKeyName(),
		IdentityFiles:     files,
		DefaultIdentities: !explicit,
		IdentitiesOnly:    p.identitiesOnly,
		AgentSocket:       p.agentSocket,
		KnownHostsFiles:   p.knownHostsFiles,
		HostKeyPolicy:     p.policy.String(),
		ProxyJump:         p.proxyJump,
		ProxyCommand:      p.proxyCommand,
		ConnectTimeout:    p.connectTimeout,
		PasswordEnv:       p.passwordEnv,
	}
	// The plan's signers are discarded unused: building it reads files and
	// lists the agent's keys, but signs nothing and asks for nothing.
	plan := d.buildAuth(context.Background(), p)
	e.Offer, e.Notes = plan.offered, plan.notes
	for _, o := range plan.offered {
		if o == "password" {
			e.Password = true
		} else {
			e.PublicKeys = true
		}
	}
	return e, nil
}

// CheckTCP opens a connection to the SSH port of t (through its ProxyJump
// chain, if any) and closes it at once. It returns the address reached.
// Errors are classified.
func (d *Dialer) CheckTCP(ctx context.Context, t remote.Target) (string, error) {
	p, err := d.resolveTarget(t)
	if err != nil {
		return "", configErr(err)
	}
	cctx, cancel := context.WithTimeout(ctx, p.connectTimeout)
	defer cancel()
	c, bastion, err := d.openTCP(cctx, p, opDial)
	if err != nil {
		return "", d.connectError(ctx, cctx, p, opDial, err)
	}
	addr := p.addr()
	if bastion == nil {
		addr = c.RemoteAddr().String()
	}
	c.Close()
	bastion.release()
	return addr, nil
}

// ServerHello is what an SSH server says before any cryptography: its
// identification line and its key exchange offer.
type ServerHello struct {
	// Banner is the identification line, e.g. "SSH-2.0-OpenSSH_9.2p1".
	Banner string
	// Preamble holds the lines some servers send before it (RFC 4253 4.2).
	Preamble []string
	// KexInit is the server's SSH_MSG_KEXINIT.
	KexInit *KexInit
}

// ProtoVersion returns the protocol version of the banner ("2.0", "1.99",
// "1.5").
func (h *ServerHello) ProtoVersion() string {
	v, _, _ := strings.Cut(strings.TrimPrefix(h.Banner, "SSH-"), "-")
	return v
}

// Software returns the software version of the banner, e.g.
// "OpenSSH_9.2p1 Debian-2".
func (h *ServerHello) Software() string {
	_, rest, _ := strings.Cut(strings.TrimPrefix(h.Banner, "SSH-"), "-")
	return rest
}

// Hello connects to t (through its ProxyJump chain, if any), sends
// remotectl's identification line and reads the server's identification
// and SSH_MSG_KEXINIT, both sent in the clear. It closes the connection
// without starting the key exchange. Errors are classified.
func (d *Dialer) Hello(ctx context.Context, t remote.Target) (*ServerHello, error) {
	p, err := d.resolveTarget(t)
	if err != nil {
		return nil, configErr(err)
	}
	pc, err := d.openProbe(ctx, p)
	if err != nil {
		return nil, err
	}
	defer pc.close()
	netConn, cctx, guard := pc.conn, pc.cctx, pc.guard

	_, werr := io.WriteString(netConn, clientVersion+"\r\n")
	hello, err := ReadServerHello(netConn)
	expired := guard.stop()
	if err == nil {
		return hello, nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, classify(opHandshake, ctx.Err())
	case expired:
		return nil, d.timeoutError(p, opHandshake)
	}
	var herr *HelloError
	if errors.As(err, &herr) {
		return nil, &remote.Error{Class: remote.ClassProtocol, Op: opHandshake,
			Err: fmt.Errorf("%s (%s): %w", p.name, p.addr(), err), Hint: herr.hint}
	}
	return nil, d.connectError(ctx, cctx, p, opHandshake, errors.Join(err, werr))
}

// HelloError is a server identification or first packet that is not
// SSH-2.0 as remotectl speaks it.
type HelloError struct {
	msg  string
	hint string
}

func (e *HelloError) Error() string { return e.msg }

// Limits on what ReadServerHello accepts.
const (
	maxBannerLine     = 255   // RFC 4253 4.2, CR LF included
	maxPreambleLines  = 64    // lines before the identification
	maxHelloPacket    = 35000 // RFC 4253 6.1: every implementation handles this
	maxSkippedPackets = 8     // SSH_MSG_IGNORE / DEBUG before KEXINIT
)

// SSH message numbers ReadServerHello looks at.
const (
	msgDisconnect = 1
	msgIgnore     = 2
	msgDebug      = 4
	msgKexInit    = 20
)

// ReadServerHello reads a server's identification line (and the lines
// before it) and its first binary packet, which must be SSH_MSG_KEXINIT
// (SSH_MSG_IGNORE and SSH_MSG_DEBUG are skipped; SSH_MSG_DISCONNECT
// becomes an error with the server's reason). Nothing is encrypted yet.
// Text from the server is returned with control characters removed.
func ReadServerHello(r io.Reader) (*ServerHello, error) {
	br := bufio.NewReaderSize(r, 4096)
	h := &ServerHello{}
	for {
		line, err := readBannerLine(br)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(line, "SSH-") {
			h.Banner = line
			break
		}
		if len(h.Preamble) == maxPreambleLines {
			return nil, &HelloError{msg: fmt.Sprintf("no SSH identification within %d lines (first: %q)", maxPreambleLines, h.Preamble[0]),
				hint: "check that the port is the SSH server's and not another service"}
		}
		h.Preamble = append(h.Preamble, line)
	}
	switch h.ProtoVersion() {
	case "2.0", "1.99":
	default:
		return nil, &HelloError{msg: fmt.Sprintf("the server speaks SSH protocol %s only (%q)", h.ProtoVersion(), h.Banner),
			hint: "upgrade the SSH server: remotectl speaks SSH-2.0"}
	}
	for range maxSkippedPackets {
		payload, err := readPlainPacket(br)
		if err != nil {
			return nil, err
		}
		switch payload[0] {
		case msgKexInit:
			k, err := ParseKexInit(payload)
			if err != nil {
				return nil, &HelloError{msg: err.Error(), hint: "the server's key exchange offer is malformed"}
			}
			h.KexInit = k
			return h, nil
		case msgIgnore, msgDebug:
			continue
		case msgDisconnect:
			return nil, disconnectError(payload)
		default:
			return nil, &HelloError{msg: fmt.Sprintf("the server's first message is type %d, not KEXINIT (20)", payload[0]),
				hint: "the server does not follow RFC 4253"}
		}
	}
	return nil, &HelloError{msg: fmt.Sprintf("no KEXINIT in the server's first %d messages", maxSkippedPackets),
		hint: "the server does not follow RFC 4253"}
}

// readBannerLine reads one CR LF (or LF) terminated line of at most 255
// bytes, without its terminator and with control characters removed.
func readBannerLine(br *bufio.Reader) (string, error) {
	var line []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) == 0 {
				return "", &HelloError{msg: "the server closed the connection without identifying itself",
					hint: hintProtocol}
			}
			return "", err
		}
		if b == '\n' {
			return sanitize(strings.TrimSuffix(string(line), "\r")), nil
		}
		line = append(line, b)
		if len(line) >= maxBannerLine {
			return "", &HelloError{msg: fmt.Sprintf("identification line longer than %d bytes: %q...", maxBannerLine, sanitize(string(line[:40]))),
				hint: "check that the port is the SSH server's and not another service"}
		}
	}
}

// readPlainPacket reads one unencrypted binary packet (RFC 4253 6) and
// returns its non-empty payload.
func readPlainPacket(br *bufio.Reader) ([]byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, err
	}
	length := binary.BigEndian.Uint32(head[:4])
	padding := uint32(head[4])
	if length > maxHelloPacket || length < padding+2 {
		return nil, &HelloError{msg: fmt.Sprintf("invalid packet (length %d, padding %d)", length, padding),
			hint: "check that the port is the SSH server's and not another service"}
	}
	body := make([]byte, length-1)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	return body[:len(body)-int(padding)], nil
}

// disconnectError describes an SSH_MSG_DISCONNECT: uint32 reason, string
// description, string language.
func disconnectError(payload []byte) error {
	msg := "the server disconnected before the key exchange"
	if rest := payload[1:]; len(rest) >= 4 {
		reason := binary.BigEndian.Uint32(rest)
		if desc, _, ok := readString(rest[4:]); ok {
			msg += fmt.Sprintf(" (reason %d: %s)", reason, sanitize(string(desc)))
		}
	}
	return &HelloError{msg: msg, hint: hintProtocol}
}

// KexInit is an SSH_MSG_KEXINIT (RFC 4253 7.1): what one side offers, in
// its order of preference.
type KexInit struct {
	Cookie                  [16]byte
	KexAlgos                []string
	HostKeyAlgos            []string
	CiphersClientServer     []string
	CiphersServerClient     []string
	MACsClientServer        []string
	MACsServerClient        []string
	CompressionClientServer []string
	CompressionServerClient []string
	LanguagesClientServer   []string
	LanguagesServerClient   []string
	FirstKexFollows         bool
	Reserved                uint32
}

// nameLists returns pointers to the ten name-lists in wire order.
func (k *KexInit) nameLists() []*[]string {
	return []*[]string{
		&k.KexAlgos, &k.HostKeyAlgos,
		&k.CiphersClientServer, &k.CiphersServerClient,
		&k.MACsClientServer, &k.MACsServerClient,
		&k.CompressionClientServer, &k.CompressionServerClient,
		&k.LanguagesClientServer, &k.LanguagesServerClient,
	}
}

// ParseKexInit parses an SSH_MSG_KEXINIT payload (message number
// included). Names must be non-empty printable US-ASCII without commas
// (RFC 4251 6); trailing bytes are an error.
func ParseKexInit(payload []byte) (*KexInit, error) {
	if len(payload) == 0 || payload[0] != msgKexInit {
		return nil, errors.New("not a KEXINIT message")
	}
	rest := payload[1:]
	k := &KexInit{}
	if len(rest) < len(k.Cookie) {
		return nil, errors.New("KEXINIT: truncated cookie")
	}
	copy(k.Cookie[:], rest)
	rest = rest[len(k.Cookie):]
	for i, list := range k.nameLists() {
		raw, r, ok := readString(rest)
		if !ok {
			return nil, fmt.Errorf("KEXINIT: name-list %d is truncated", i+1)
		}
		names, err := parseNameList(raw)
		if err != nil {
			return nil, fmt.Errorf("KEXINIT: name-list %d: %w", i+1, err)
		}
		*list, rest = names, r
	}
	if len(rest) != 5 {
		return nil, fmt.Errorf("KEXINIT: %d bytes after the name-lists, want 5", len(rest))
	}
	switch rest[0] {
	case 0:
	case 1:
		k.FirstKexFollows = true
	default:
		return nil, fmt.Errorf("KEXINIT: first_kex_packet_follows is %d, not a boolean", rest[0])
	}
	k.Reserved = binary.BigEndian.Uint32(rest[1:])
	return k, nil
}

// Marshal returns the wire form of k (message number included), the
// inverse of ParseKexInit.
func (k *KexInit) Marshal() []byte {
	b := append([]byte{msgKexInit}, k.Cookie[:]...)
	for _, list := range k.nameLists() {
		s := strings.Join(*list, ",")
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	if k.FirstKexFollows {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return binary.BigEndian.AppendUint32(b, k.Reserved)
}

// readString reads an SSH string: uint32 length, then the bytes.
func readString(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

// parseNameList splits a comma-separated name-list; empty is no names.
func parseNameList(raw []byte) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	names := strings.Split(string(raw), ",")
	for _, n := range names {
		if n == "" {
			return nil, errors.New("empty name")
		}
		for i := 0; i < len(n); i++ {
			if n[i] <= ' ' || n[i] > '~' {
				return nil, fmt.Errorf("name %q has a byte outside printable US-ASCII", sanitize(n))
			}
		}
	}
	return names, nil
}

// sanitize drops control characters from text a server sent, so that it
// cannot drive the terminal it is printed on.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// Mismatch is one kind of algorithm for which a server offers nothing
// remotectl implements.
type Mismatch struct {
	Kind   string   // "key exchange", "host key", "cipher", "MAC"
	Server []string // what the server offers
	Client []string // what remotectl implements
	// Insecure are server algorithms remotectl implements but does not
	// enable by default (e.g. ssh-rsa with SHA-1, diffie-hellman-group1).
	Insecure []string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("no common %s algorithm: the server offers %s", m.Kind, strings.Join(m.Server, ","))
}

// aeadCiphers need no separate MAC.
var aeadCiphers = []string{"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}

// Mismatches compares the server's offer with what remotectl's SSH library
// implements by default, as the key exchange would: one entry per kind of
// algorithm with nothing in common. hostKeyAlgos, when not empty, are the
// host key algorithms a Dial would ask for (those known_hosts holds keys
// of); otherwise every supported one counts.
func (k *KexInit) Mismatches(hostKeyAlgos []string) []Mismatch {
	sup := gossh.SupportedAlgorithms()
	insecure := gossh.InsecureAlgorithms()
	if len(hostKeyAlgos) == 0 {
		hostKeyAlgos = sup.HostKeys
	}
	var out []Mismatch
	check := func(kind string, server, client, weak []string) bool {
		if slices.ContainsFunc(server, func(s string) bool { return slices.Contains(client, s) }) {
			return true
		}
		m := Mismatch{Kind: kind, Server: server, Client: client}
		for _, s := range server {
			if slices.Contains(weak, s) {
				m.Insecure = append(m.Insecure, s)
			}
		}
		out = append(out, m)
		return false
	}
	check("key exchange", k.KexAlgos, sup.KeyExchanges, insecure.KeyExchanges)
	check("host key", k.HostKeyAlgos, hostKeyAlgos, insecure.HostKeys)
	cipherOK := check("cipher", intersectBoth(k.CiphersClientServer, k.CiphersServerClient), sup.Ciphers, insecure.Ciphers)
	if cipherOK && !k.aeadOnly(sup.Ciphers) {
		check("MAC", intersectBoth(k.MACsClientServer, k.MACsServerClient), sup.MACs, insecure.MACs)
	}
	return out
}

// aeadOnly reports whether the cipher negotiated in both directions is an
// AEAD cipher, which needs no MAC (the client's preference order decides).
func (k *KexInit) aeadOnly(client []string) bool {
	pick := func(server []string) string {
		for _, c := range client {
			if slices.Contains(server, c) {
				return c
			}
		}
		return ""
	}
	return slices.Contains(aeadCiphers, pick(k.CiphersClientServer)) &&
		slices.Contains(aeadCiphers, pick(k.CiphersServerClient))
}

// intersectBoth returns the names offered in both directions.
func intersectBoth(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// HostKeyAlgorithms returns the host key algorithms of the keys known_hosts
// holds for t, or nil when it holds none (every supported algorithm is then
// acceptable). A Dial asks the server for these first.
func (d *Dialer) HostKeyAlgorithms(t remote.Target) ([]string, error) {
	p, err := d.resolveTarget(t)
	if err != nil {
		return nil, configErr(err)
	}
	return d.hostKeyChecker(p).algorithms(p.hostKeyName()), nil
}

// ForgetKeyCommand returns the command that removes the keys known_hosts
// holds for t (see the function ForgetKeyCommand), naming the files that
// hold some, or the first file when none does.
func (d *Dialer) ForgetKeyCommand(t remote.Target) (string, error) {
	p, err := d.resolveTarget(t)
	if err != nil {
		return "", configErr(err)
	}
	name := p.hostKeyName()
	var files []string
	for _, f := range d.hostKeyChecker(p).files {
		if len(f.algorithms(name)) > 0 {
			files = append(files, f.path)
		}
	}
	if len(files) == 0 && len(p.knownHostsFiles) > 0 {
		files = p.knownHostsFiles[:1]
	}
	return ForgetKeyCommand(name, files), nil
}

// errAuthProbed ends an authentication probe once the server's methods
// are known.
var errAuthProbed = errors.New("authentication methods captured")

// AuthMethods runs the key exchange with t, checks its host key without
// recording anything (a key known_hosts lacks is accepted only under the
// accept-new and off policies), and tries the "none" authentication to
// learn which methods the server accepts for the user. It returns them as
// the server names them ("publickey", "password", "keyboard-interactive");
// {"none"} means the server let the user in without credentials. Errors
// are classified.
func (d *Dialer) AuthMethods(ctx context.Context, t remote.Target) ([]string, error) {
	p, err := d.resolveTarget(t)
	if err != nil {
		return nil, configErr(err)
	}
	pc, err := d.openProbe(ctx, p)
	if err != nil {
		return nil, err
	}
	defer pc.close()
	netConn, cctx, guard := pc.conn, pc.cctx, pc.guard

	checker := d.hostKeyChecker(p)
	var keyErr error
	var methods []string
	probed := false
	cfg := &gossh.ClientConfig{
		Config: p.algorithms,
		User:   p.user,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			keyErr = checkKeyReadOnly(checker, p, key)
			return keyErr
		},
		HostKeyAlgorithms: checker.offer(p.hostKeyName()),
		ClientVersion:     clientVersion,
		AuthCallback: func(ac *gossh.ClientAuthContext) (gossh.AuthMethod, error) {
			methods, probed = slices.Clone(ac.AllowedMethods), true
			return nil, errAuthProbed
		},
	}
	c, _, _, err := gossh.NewClientConn(netConn, p.hostKeyName(), cfg)
	expired := guard.stop()
	switch {
	case err == nil:
		c.Close()
		return []string{"none"}, nil
	case probed:
		return methods, nil
	case keyErr != nil:
		return nil, keyErr
	case ctx.Err() != nil:
		return nil, classify(opHandshake, ctx.Err())
	case expired:
		return nil, d.timeoutError(p, opHandshake)
	}
	return nil, d.connectError(ctx, cctx, p, opHandshake, err)
}

// checkKeyReadOnly applies the host key policy as a Dial would, except
// that a new key is never recorded.
func checkKeyReadOnly(checker *hostKeyChecker, p *hostParams, key gossh.PublicKey) error {
	if p.policy == policyOff {
		return nil
	}
	v, err := checker.verdict(p.hostKeyName(), key)
	if err != nil {
		return &remote.Error{Class: remote.ClassOther, Op: "hostkey", Err: err}
	}
	if v.status == StatusKnown || v.status == StatusNew && p.policy == policyAcceptNew {
		return nil
	}
	return hostKeyError(checker.accept, p.hostKeyName(), key, v)
}

// configErr classifies a settings problem found before connecting.
func configErr(err error) error {
	return &remote.Error{Class: remote.ClassOther, Op: "config", Err: err,
		Hint: "fix the SSH settings of the host (inventory or ssh_config)"}
}
