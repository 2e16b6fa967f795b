package ssh

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ssh_config is read as strictly as OpenSSH reads it (readconf.c): every
// line of every file is checked, whether or not its block applies to the
// host being connected to. An unknown keyword, a keyword without its
// argument, extra arguments after a single-valued keyword, unbalanced
// quotes and a value OpenSSH would refuse (a port that is not one, yes/no
// spelt otherwise) are errors naming file:line, as `ssh -G` reports them.
// IgnoreUnknown lets later lines use unknown keywords, as in OpenSSH.
//
// Keywords remotectl honours are marked used; the others are known but
// ignored (listed in the README): they are checked, then have no effect.

// keywordSpec says what a keyword takes.
type keywordSpec struct {
	name  string             // as documented, for messages and the README
	args  argsKind           // how many arguments
	check func(string) error // validates each argument; nil accepts anything
	used  bool               // remotectl honours it
	// line validates the arguments together (their number included), for
	// keywords whose arguments depend on each other (RekeyLimit SIZE TIME).
	line func([]string) error
}

// argsKind is how many arguments a keyword takes.
type argsKind int

const (
	oneArg   argsKind = iota // exactly one
	someArgs                 // one or more
	restArgs                 // the rest of the line, verbatim (a command)
)

// Value checkers, after readconf.c.
var (
	checkFlag           = choices("yes", "no", "true", "false")
	checkStrictHostKeys = choices("yes", "no", "true", "false", "ask", "off", "accept-new")
)

// choices accepts one of the values, in any case.
func choices(values ...string) func(string) error {
	return func(s string) error {
		if slices.Contains(values, strings.ToLower(s)) {
			return nil
		}
		return fmt.Errorf("%q is not one of %s", s, strings.Join(values, ", "))
	}
}

// checkPort accepts a port number or a service name (as OpenSSH's a2port).
func checkPort(s string) error {
	_, err := parsePort(s)
	return err
}

// parsePort returns the port s names: a number from 1 to 65535, or a TCP
// service name.
func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		if n, err = net.LookupPort("tcp", s); err != nil {
			return 0, fmt.Errorf("bad port %q", s)
		}
	}
	if n <= 0 || n > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return n, nil
}

// checkInt accepts a non-negative integer.
func checkInt(s string) error {
	if n, err := strconv.Atoi(s); err != nil || n < 0 {
		return fmt.Errorf("%q is not a non-negative integer", s)
	}
	return nil
}

// checkTime accepts an OpenSSH time value (see parseTime).
func checkTime(s string) error {
	_, err := parseTime(s)
	return err
}

// checkTimeOrNone accepts a time value or "none".
func checkTimeOrNone(s string) error {
	if strings.EqualFold(s, "none") {
		return nil
	}
	return checkTime(s)
}

// parseTime parses an OpenSSH time value (convtime): seconds, or a sequence
// of numbers each followed by s, m, h, d or w ("1h30m").
func parseTime(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a time value (seconds, or e.g. 1m30s)", s)
	if s == "" {
		return 0, bad
	}
	units := map[byte]time.Duration{'s': time.Second, 'S': time.Second, 'm': time.Minute, 'M': time.Minute,
		'h': time.Hour, 'H': time.Hour, 'd': 24 * time.Hour, 'D': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'W': 7 * 24 * time.Hour}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 {
			return 0, bad
		}
		n, _ := strconv.Atoi(s[:i])
		unit := time.Second
		if i < len(s) {
			u, ok := units[s[i]]
			if !ok {
				return 0, bad
			}
			unit = u
			i++
		}
		total += time.Duration(n) * unit
		s = s[i:]
	}
	return total, nil
}

// checkControlPersist accepts yes/no or a time.
func checkControlPersist(s string) error {
	if checkFlag(s) == nil {
		return nil
	}
	if checkTime(s) != nil {
		return fmt.Errorf("%q is not yes, no or a time", s)
	}
	return nil
}

// keywords are the ssh_config keywords of OpenSSH (readconf.c), lower case.
var keywords = func() map[string]keywordSpec {
	m := map[string]keywordSpec{}
	add := func(name string, args argsKind, check func(string) error, used bool) {
		m[strings.ToLower(name)] = keywordSpec{name: name, args: args, check: check, used: used}
	}
	// Honoured.
	for _, k := range []struct {
		name  string
		args  argsKind
		check func(string) error
	}{
		{"Host", someArgs, nil}, {"Match", someArgs, nil}, {"Include", someArgs, nil},
		{"IgnoreUnknown", oneArg, nil},
		{"HostName", oneArg, nil}, {"User", oneArg, nil}, {"Port", oneArg, checkPort},
		{"IdentityFile", oneArg, nil}, {"CertificateFile", oneArg, nil},
		{"IdentitiesOnly", oneArg, checkFlag}, {"IdentityAgent", oneArg, nil},
		{"ProxyJump", someArgs, nil}, {"ProxyCommand", restArgs, nil},
		{"StrictHostKeyChecking", oneArg, checkStrictHostKeys},
		{"UserKnownHostsFile", someArgs, nil}, {"HostKeyAlias", oneArg, nil},
		{"ConnectTimeout", oneArg, checkTimeOrNone},
		{"ServerAliveInterval", oneArg, checkTime}, {"ServerAliveCountMax", oneArg, checkInt},
		// Algorithm names are checked against OpenSSH's here; whether
		// x/crypto implements them is decided when a host uses the list: a
		// list naming only algorithms OpenSSH has and x/crypto lacks is
		// fine for a host only ssh connects to.
		{"KexAlgorithms", oneArg, checkKex}, {"Ciphers", oneArg, checkCiphers}, {"MACs", oneArg, checkMACs},
	} {
		add(k.name, k.args, k.check, true)
	}
	// Known but ignored: yes/no flags.
	for _, name := range []string{
		"BatchMode", "CanonicalizeFallbackLocal", "CheckHostIP", "ClearAllForwardings", "Compression",
		"EnableEscapeCommandline", "EnableSSHKeysign", "ExitOnForwardFailure", "ForkAfterAuthentication",
		"ForwardX11", "ForwardX11Trusted", "GatewayPorts", "GSSAPIAuthentication", "GSSAPIDelegateCredentials",
		"GSSAPIKeyExchange", "GSSAPIRenewalForcesRekey", "GSSAPITrustDns", "HashKnownHosts",
		"HostbasedAuthentication", "KbdInteractiveAuthentication", "ChallengeResponseAuthentication",
		"NoHostAuthenticationForLocalhost", "PasswordAuthentication", "PermitLocalCommand", "ProxyUseFdpass",
		"StdinNull", "StreamLocalBindUnlink", "TCPKeepAlive", "VisualHostKey",
	} {
		add(name, oneArg, checkFlag, false)
	}
	// Known but ignored: other values.
	for _, k := range []struct {
		name  string
		args  argsKind
		check func(string) error
	}{
		{"AddressFamily", oneArg, choices("any", "inet", "inet6")},
		{"BindAddress", oneArg, nil}, {"BindInterface", oneArg, nil},
		{"CanonicalDomains", someArgs, nil},
		{"CanonicalizeHostname", oneArg, choices("yes", "no", "true", "false", "always")},
		{"CanonicalizeMaxDots", oneArg, checkInt}, {"CanonicalizePermittedCNAMEs", someArgs, nil},
		{"CASignatureAlgorithms", oneArg, checkKeyTypes}, {"ChannelTimeout", someArgs, nil},
		{"ConnectionAttempts", oneArg, checkPositive},
		{"ControlMaster", oneArg, choices("yes", "no", "true", "false", "ask", "auto", "autoask")},
		{"ControlPath", oneArg, nil}, {"ControlPersist", oneArg, checkControlPersist},
		{"EscapeChar", oneArg, checkEscapeChar},
		{"FingerprintHash", oneArg, choices("md5", "sha256")}, {"ForwardAgent", oneArg, nil},
		{"ForwardX11Timeout", oneArg, checkTime}, {"GlobalKnownHostsFile", someArgs, nil},
		{"GSSAPIClientIdentity", oneArg, nil}, {"GSSAPIServerIdentity", oneArg, nil},
		{"GSSAPIKexAlgorithms", oneArg, nil},
		{"HostbasedAcceptedAlgorithms", oneArg, checkKeyTypes}, {"HostKeyAlgorithms", oneArg, checkKeyTypes},
		{"HostbasedKeyTypes", oneArg, checkKeyTypes}, {"PubkeyAcceptedKeyTypes", oneArg, checkKeyTypes}, // old names
		{"KbdInteractiveDevices", oneArg, nil},
		{"KnownHostsCommand", restArgs, nil}, {"LocalCommand", restArgs, nil},
		{"LogLevel", oneArg, choices("quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3")},
		{"LogVerbose", someArgs, nil}, {"NumberOfPasswordPrompts", oneArg, checkInt},
		{"ObscureKeystrokeTiming", oneArg, nil},
		{"PKCS11Provider", oneArg, nil}, {"SmartcardDevice", oneArg, nil},
		{"PreferredAuthentications", oneArg, nil},
		{"PubkeyAcceptedAlgorithms", oneArg, checkKeyTypes},
		{"PubkeyAuthentication", oneArg, choices("yes", "no", "true", "false", "unbound", "host-bound")},
		{"RemoteCommand", restArgs, nil},
		{"RequestTTY", oneArg, choices("yes", "no", "true", "false", "force", "auto")},
		{"RequiredRSASize", oneArg, checkInt}, {"RevokedHostKeys", oneArg, nil},
		{"SecurityKeyProvider", oneArg, nil}, {"SendEnv", someArgs, nil},
		{"SessionType", oneArg, choices("none", "subsystem", "default")}, {"SetEnv", someArgs, checkSetEnv},
		{"StreamLocalBindMask", oneArg, nil},
		{"SyslogFacility", oneArg, choices("daemon", "user", "auth", "authpriv", "local0", "local1", "local2",
			"local3", "local4", "local5", "local6", "local7")},
		{"Tag", oneArg, nil},
		{"Tunnel", oneArg, choices("yes", "no", "true", "false", "point-to-point", "ethernet")},
		{"TunnelDevice", oneArg, nil},
		{"UpdateHostKeys", oneArg, choices("yes", "no", "true", "false", "ask")},
		{"VerifyHostKeyDNS", oneArg, choices("yes", "no", "true", "false", "ask")},
		{"XAuthLocation", oneArg, nil},
	} {
		add(k.name, k.args, k.check, false)
	}
	// Known but ignored, whose arguments are checked together.
	for _, k := range []struct {
		name string
		line func([]string) error
	}{
		{"AddKeysToAgent", checkAddKeysToAgent}, {"DynamicForward", checkDynamicForward}, {"IPQoS", checkIPQoS},
		{"LocalForward", checkLocalForward}, {"RekeyLimit", checkRekeyLimit}, {"RemoteForward", checkRemoteForward},
		{"PermitRemoteOpen", checkPermitRemoteOpen},
	} {
		m[strings.ToLower(k.name)] = keywordSpec{name: k.name, args: someArgs, line: k.line}
	}
	// Obsolete names, deprecated and unsupported options OpenSSH still
	// accepts (with a warning at most).
	for _, name := range []string{
		"DSAAuthentication", "IdentityFile2", "KeepAlive",
		"SKeyAuthentication", "TISAuthentication",
		"Cipher", "FallBackToRsh", "GlobalKnownHostsFile2", "Protocol", "RhostsAuthentication",
		"UseBlacklistedKeys", "UserKnownHostsFile2", "UseRoaming", "UseRsh", "UsePrivilegedPort",
		"AFSTokenPassing", "CompressionLevel", "KerberosAuthentication", "KerberosTGTPassing",
		"RhostsRSAAuthentication", "RSAAuthentication",
		"ProtocolKeepAlives", "SetupTimeOut", // Debian
		"UseKeychain", // macOS
	} {
		add(name, someArgs, nil, false)
	}
	return m
}()

// ignoredKeywords returns the names of the keywords that are known but
// have no effect, sorted.
func ignoredKeywords() []string {
	var names []string
	for _, k := range keywords {
		if !k.used {
			names = append(names, k.name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return names
}

// prefixed names the keyword in err unless it already does.
func prefixed(name string, err error) error {
	if strings.HasPrefix(err.Error(), name) {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

// checkLine checks one configuration line: its keyword is known (or
// ignored by IgnoreUnknown), it has its arguments and each is valid. It
// returns the keyword (lower case) and the arguments.
func checkLine(keyword, rest string, ignore patternList) (string, []string, error) {
	key := strings.ToLower(keyword)
	spec, ok := keywords[key]
	args, err := splitArgs(rest)
	if err != nil {
		return key, nil, errors.New("invalid quotes: " + err.Error())
	}
	if !ok {
		if ignore.match(key) {
			return "", nil, nil
		}
		return key, nil, fmt.Errorf("unknown keyword %s (see the ssh_config keywords in the README)", keyword)
	}
	if len(args) == 0 {
		return key, nil, fmt.Errorf("%s needs an argument", spec.name)
	}
	if spec.args == oneArg && len(args) > 1 {
		return key, nil, fmt.Errorf("%s takes one argument, got %d (quote a value with spaces)", spec.name, len(args))
	}
	for _, a := range args {
		if a == "" {
			return key, nil, fmt.Errorf("%s has an empty argument", spec.name)
		}
		if spec.check != nil && spec.args != restArgs {
			if err := spec.check(a); err != nil {
				return key, nil, fmt.Errorf("%s: %w", spec.name, err)
			}
		}
	}
	if spec.line != nil {
		if err := spec.line(args); err != nil {
			return key, nil, prefixed(spec.name, err)
		}
	}
	return key, args, nil
}
