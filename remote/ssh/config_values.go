package ssh

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Checks of ssh_config values that OpenSSH (readconf.c) parses beyond a
// yes/no, a number or a time: algorithm lists, RekeyLimit, IPQoS,
// AddKeysToAgent, EscapeChar, SetEnv and forwardings. Each refuses what
// `ssh -G` refuses, and nothing it accepts.

// The algorithm names OpenSSH knows: `ssh -Q cipher`, `ssh -Q mac`, `ssh -Q
// kex` and `ssh -Q key-sig` of OpenSSH 9.2, with the names later releases
// and build options (XMSS) add. An ssh_config list is checked against them
// when it is read, as OpenSSH checks it; whether x/crypto implements a name
// is decided per host, when a host uses the list (see algorithmKind.parse):
// a list naming algorithms only OpenSSH has is valid.
var (
	opensshCiphers = []string{
		"3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-ctr", "aes192-ctr", "aes256-ctr",
		"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
	}
	opensshMACs = []string{
		"hmac-sha1", "hmac-sha1-96", "hmac-sha2-256", "hmac-sha2-512", "hmac-md5", "hmac-md5-96",
		"umac-64@openssh.com", "umac-128@openssh.com", "hmac-sha1-etm@openssh.com", "hmac-sha1-96-etm@openssh.com",
		"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-md5-etm@openssh.com",
		"hmac-md5-96-etm@openssh.com", "umac-64-etm@openssh.com", "umac-128-etm@openssh.com",
	}
	opensshKex = []string{
		"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group14-sha256",
		"diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha1",
		"diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512",
		"sntrup761x25519-sha512@openssh.com", "mlkem768x25519-sha256",
	}
	opensshKeyTypes = []string{
		"ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com",
		"sk-ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
		"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
		"ssh-dss", "ssh-dss-cert-v01@openssh.com", "ssh-rsa", "ssh-rsa-cert-v01@openssh.com",
		"rsa-sha2-256", "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512", "rsa-sha2-512-cert-v01@openssh.com",
		"ssh-xmss@openssh.com", "ssh-xmss-cert-v01@openssh.com",
	}
)

// Checkers of the algorithm list keywords.
var (
	checkCiphers  = checkAlgorithms("cipher", "cipher", opensshCiphers, false)
	checkMACs     = checkAlgorithms("MAC", "mac", opensshMACs, false)
	checkKex      = checkAlgorithms("key exchange", "kex", opensshKex, false)
	checkKeyTypes = checkAlgorithms("key type", "key-sig", opensshKeyTypes, true)
)

// checkAlgorithms returns the checker of an algorithm list (ssh_config(5)):
// a list removing names (-a,b) is not checked, as in OpenSSH; otherwise
// each name, after a leading + or ^, must be one OpenSSH knows. Key type
// lists may use wildcards that match some known name. As in OpenSSH, the
// names after an empty one are not looked at.
func checkAlgorithms(what, query string, known []string, wildcards bool) func(string) error {
	return func(s string) error {
		if strings.HasPrefix(s, "-") {
			return nil
		}
		s = strings.TrimPrefix(strings.TrimPrefix(s, "+"), "^")
		for _, name := range strings.Split(s, ",") {
			if name == "" {
				break
			}
			if slices.Contains(known, name) {
				continue
			}
			if wildcards && strings.ContainsAny(name, "*?") &&
				slices.ContainsFunc(known, func(k string) bool { return wildcardMatch(name, k) }) {
				continue
			}
			return fmt.Errorf("unknown %s %q (`ssh -Q %s` lists them)", what, name, query)
		}
		return nil
	}
}

// checkPositive accepts a positive integer.
func checkPositive(s string) error {
	if n, err := strconv.Atoi(s); err != nil || n <= 0 {
		return fmt.Errorf("%q is not a positive integer", s)
	}
	return nil
}

// checkEscapeChar accepts none, a single character, or ^ and a character
// from @ to ~ (a control character), as OpenSSH does.
func checkEscapeChar(s string) error {
	if s == "none" || len(s) == 1 || len(s) == 2 && s[0] == '^' && s[1] >= 64 && s[1] < 127 {
		return nil
	}
	return fmt.Errorf("%q is not an escape character (a single character, ^ and a letter, or none)", s)
}

// checkSetEnv accepts NAME=VALUE (OpenSSH asks for an = only).
func checkSetEnv(s string) error {
	if !strings.Contains(s, "=") {
		return fmt.Errorf("%q is not NAME=VALUE", s)
	}
	return nil
}

// argCount checks the number of arguments of a keyword taking from min to
// max of them.
func argCount(name string, args []string, min, max int) error {
	switch {
	case len(args) < min:
		return fmt.Errorf("%s needs %d arguments, got %d", name, min, len(args))
	case len(args) > max:
		return fmt.Errorf("%s takes at most %d arguments, got %d", name, max, len(args))
	}
	return nil
}

// checkRekeyLimit accepts `RekeyLimit default|SIZE [none|TIME]`; a size is
// a number with an optional K, M, G, T, P or E suffix, 0 or at least 16.
func checkRekeyLimit(args []string) error {
	if err := argCount("RekeyLimit", args, 1, 2); err != nil {
		return err
	}
	if args[0] != "default" {
		n, err := scanScaled(args[0])
		if err != nil {
			return err
		}
		if n != 0 && n < 16 {
			return fmt.Errorf("RekeyLimit %q is too small (0, or at least 16 bytes)", args[0])
		}
	}
	if len(args) == 2 {
		return checkTimeOrNone(args[1])
	}
	return nil
}

// scanScaled parses a number with an optional fraction and a unit of
// B, K, M, G, T, P or E (powers of 1024), as OpenBSD's scan_scaled.
func scanScaled(s string) (float64, error) {
	bad := fmt.Errorf("%q is not a size (e.g. 1G, 512M)", s)
	num, unit := s, 0
	if n := len(s); n > 0 {
		if i := strings.IndexByte("BKMGTPE", upper(s[n-1])); i >= 0 {
			num, unit = s[:n-1], i
		}
	}
	whole, frac, _ := strings.Cut(num, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, bad
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, bad
	}
	return math.Floor(v * math.Pow(1024, float64(unit))), nil
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ipqosNames are the IPQoS names OpenSSH knows.
var ipqosNames = []string{"af11", "af12", "af13", "af21", "af22", "af23", "af31", "af32", "af33", "af41", "af42",
	"af43", "cs0", "cs1", "cs2", "cs3", "cs4", "cs5", "cs6", "cs7", "ef", "le", "lowdelay", "throughput",
	"reliability", "none"}

// checkIPQoS accepts one or two IPQoS values: a name, or a number from 0
// to 255 (decimal, 0x hexadecimal or 0 octal).
func checkIPQoS(args []string) error {
	if err := argCount("IPQoS", args, 1, 2); err != nil {
		return err
	}
	for _, a := range args {
		if slices.Contains(ipqosNames, strings.ToLower(a)) {
			continue
		}
		if n, err := strconv.ParseInt(a, 0, 64); err != nil || n < 0 || n > 255 {
			return fmt.Errorf("%q is not an IPQoS value (%s, or a number from 0 to 255)", a, strings.Join(ipqosNames, ", "))
		}
	}
	return nil
}

// checkAddKeysToAgent accepts yes, no, ask, confirm or a time, or
// `confirm TIME`.
func checkAddKeysToAgent(args []string) error {
	if err := argCount("AddKeysToAgent", args, 1, 2); err != nil {
		return err
	}
	choice := choices("yes", "no", "true", "false", "ask", "confirm")(args[0])
	switch {
	case len(args) == 2 && strings.EqualFold(args[0], "confirm"):
		return checkTime(args[1])
	case len(args) == 2:
		return fmt.Errorf("AddKeysToAgent takes a time after confirm only, not after %q", args[0])
	case choice != nil && checkTime(args[0]) != nil:
		return fmt.Errorf("%q is not yes, no, ask, confirm or a time", args[0])
	}
	return nil
}

// checkLocalForward accepts `[bind:]port host:hostport` (or Unix socket
// paths).
func checkLocalForward(args []string) error {
	if len(args) == 1 {
		return errors.New("LocalForward needs the address to forward to (LocalForward [bind:]port host:hostport)")
	}
	if err := argCount("LocalForward", args, 2, 2); err != nil {
		return err
	}
	return checkForward("LocalForward", args[0]+":"+args[1], false, false)
}

// checkRemoteForward accepts `[bind:]port [host:hostport]`: without a
// destination, a dynamic (SOCKS) forward.
func checkRemoteForward(args []string) error {
	if err := argCount("RemoteForward", args, 1, 2); err != nil {
		return err
	}
	if len(args) == 1 {
		return checkForward("RemoteForward", args[0], true, true)
	}
	return checkForward("RemoteForward", args[0]+":"+args[1], false, true)
}

// checkDynamicForward accepts `[bind:]port`.
func checkDynamicForward(args []string) error {
	if err := argCount("DynamicForward", args, 1, 1); err != nil {
		return err
	}
	return checkForward("DynamicForward", args[0], true, false)
}

// fwdField is one colon-separated field of a forwarding specification.
type fwdField struct {
	arg    string
	isPath bool
}

// checkForward checks a forwarding specification as OpenSSH's
// parse_forward does: up to four colon-separated fields ([addr]
// bracketed, \ escaping), listen and connect ports, or Unix socket paths
// (fields with a /).
func checkForward(keyword, spec string, dynamic, remote bool) error {
	bad := fmt.Errorf("%s: bad forwarding specification %q", keyword, strings.TrimSpace(spec))
	fields, ok := splitForward(strings.TrimLeft(spec, " \t"))
	if !ok {
		return bad
	}
	const streamLocal = -2 // a Unix socket, not a port
	listenPort, connectPort := -1, 0
	listenPath, connectPath := false, false
	switch len(fields) {
	case 1:
		if fields[0].isPath {
			listenPath, listenPort = true, streamLocal
		} else {
			listenPort = forwardPort(fields[0].arg)
		}
	case 2:
		switch {
		case fields[0].isPath && fields[1].isPath:
			listenPath, listenPort, connectPath = true, streamLocal, true
		case fields[1].isPath:
			listenPort, connectPath = forwardPort(fields[0].arg), true
		default:
			listenPort = forwardPort(fields[1].arg)
		}
	case 3:
		switch {
		case fields[0].isPath:
			listenPath, listenPort, connectPort = true, streamLocal, forwardPort(fields[2].arg)
		case fields[2].isPath:
			listenPort, connectPath = forwardPort(fields[1].arg), true
		default:
			listenPort, connectPort = forwardPort(fields[0].arg), forwardPort(fields[2].arg)
		}
	case 4:
		listenPort, connectPort = forwardPort(fields[1].arg), forwardPort(fields[3].arg)
	default:
		return bad
	}
	if dynamic {
		if len(fields) > 2 {
			return bad
		}
	} else {
		if len(fields) < 3 && !connectPath && !listenPath {
			return bad
		}
		if connectPort <= 0 && !connectPath {
			return bad
		}
	}
	if listenPort < 0 && !listenPath || !remote && listenPort == 0 {
		return bad
	}
	return nil
}

// splitForward splits a forwarding specification into at most four
// fields, as OpenSSH's parse_fwd_field; false when it is malformed.
func splitForward(s string) ([]fwdField, bool) {
	var fields []fwdField
	for s != "" && len(fields) < 4 {
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if end < 0 || end+1 < len(s) && s[end+1] != ':' {
				return nil, false
			}
			fields = append(fields, fwdField{arg: s[1:end]})
			s = s[min(end+2, len(s)):]
			continue
		}
		var f fwdField
		var b strings.Builder
		i := 0
	field:
		for ; i < len(s); i++ {
			switch c := s[i]; c {
			case '\\':
				if i+1 == len(s) {
					return nil, false
				}
				i++
				b.WriteByte(s[i])
			case ':':
				i++
				break field
			case '/':
				f.isPath = true
				b.WriteByte(c)
			default:
				b.WriteByte(c)
			}
		}
		f.arg, s = b.String(), s[i:]
		fields = append(fields, f)
	}
	return fields, s == ""
}

// forwardPort is OpenSSH's a2port: a number from 0 to 65535 or a TCP
// service name; -1 otherwise.
func forwardPort(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 65535 {
			return -1
		}
		return n
	}
	n, err := parsePort(s)
	if err != nil {
		return -1
	}
	return n
}

// checkPermitRemoteOpen accepts `any` or `none` alone, or host:port pairs
// whose port is a number, a service name or *, as OpenSSH's readconf does.
func checkPermitRemoteOpen(args []string) error {
	if len(args) == 0 {
		return errors.New("PermitRemoteOpen needs an argument")
	}
	for _, a := range args {
		if strings.EqualFold(a, "any") || strings.EqualFold(a, "none") {
			if len(args) > 1 {
				return fmt.Errorf("PermitRemoteOpen: %q must appear alone", a)
			}
			continue
		}
		host, port, ok := strings.Cut(a, ":")
		if strings.HasPrefix(a, "[") {
			end := strings.Index(a, "]:")
			host, port, ok = a[:max(end, 0)], a[max(end, 0)+2:], end > 0
		}
		if !ok || host == "" {
			return fmt.Errorf("PermitRemoteOpen: %q: bad port number (want host:port, any or none)", a)
		}
		if _, err := net.LookupPort("tcp", port); port != "*" && (port == "" || err != nil) {
			return fmt.Errorf("PermitRemoteOpen: %q: bad port number", a) // a number, a service name or *
		}
	}
	return nil
}
