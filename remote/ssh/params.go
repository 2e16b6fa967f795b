package ssh

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

// hostParams are the effective connection settings of one host: the
// target's (inventory) settings, then ssh_config, then Options and OpenSSH
// defaults.
type hostParams struct {
	name     string // inventory name, for messages and hints
	alias    string // the name looked up in ssh_config
	hostname string // what to connect to
	port     int
	user     string

	identityFiles    []string
	identitiesOnly   bool
	certificateFiles []string
	agentSocket      string // "" = no agent

	proxyJump       string // "" or "none" = direct
	proxyCommand    string // run with sh -c for the connection (tokens unexpanded); "" = none
	knownHostsFiles []string
	hostKeyAlias    string
	policy          hostKeyPolicy

	connectTimeout    time.Duration
	keepaliveInterval time.Duration // <= 0 disables keepalives
	keepaliveCountMax int

	passwordEnv string
	password    string
	getenv      func(string) string // Options.Getenv

	// algorithms is what the handshake offers (KexAlgorithms, Ciphers and
	// MACs of ssh_config applied to remotectl's defaults).
	algorithms gossh.Config
}

// addr is the host:port to connect to.
func (p *hostParams) addr() string { return net.JoinHostPort(p.hostname, strconv.Itoa(p.port)) }

// hostKeyName is the host:port looked up in known_hosts (HostKeyAlias wins).
func (p *hostParams) hostKeyName() string {
	host := p.hostname
	if p.hostKeyAlias != "" {
		host = p.hostKeyAlias
	}
	return net.JoinHostPort(host, strconv.Itoa(p.port))
}

// id is user@host:port, the identity of a connection (bastion cache key).
func (p *hostParams) id() string { return p.user + "@" + p.addr() }

// staticPassword returns the login password known without asking: the
// target's environment variable, its inventory password, else the run's
// (--ask-pass) password.
func (p *hostParams) staticPassword(runPassword string) (pw string, ok bool, err error) {
	if p.passwordEnv != "" {
		if v := p.getenv(p.passwordEnv); v != "" {
			return v, true, nil
		}
		err = fmt.Errorf("password environment variable %s is not set", p.passwordEnv)
	}
	if p.password != "" {
		return p.password, true, nil
	}
	if runPassword != "" {
		return runPassword, true, nil
	}
	return "", false, err
}

// resolveTarget computes the effective settings of an inventory target.
func (d *Dialer) resolveTarget(t remote.Target) (*hostParams, error) {
	p, err := d.resolveHost(t.Addr(), t.User, t.Port, t.SSH.ConfigFile)
	if err != nil {
		return nil, err
	}
	p.name = t.Name
	if p.name == "" {
		p.name = t.Addr()
	}
	if len(t.SSH.IdentityFiles) > 0 {
		files := make([]string, 0, len(t.SSH.IdentityFiles)+len(p.identityFiles))
		for _, f := range t.SSH.IdentityFiles {
			files = append(files, expandPath(f, d.tokens(p)))
		}
		// OpenSSH tries command-line identities before configured ones.
		p.identityFiles = appendUnique(files, p.identityFiles...)
	}
	p.identitiesOnly = p.identitiesOnly || t.SSH.IdentitiesOnly
	if t.SSH.IdentityAgent != "" { // the inventory's (-o IdentityAgent) wins over ssh_config's
		p.setIdentityAgent(t.SSH.IdentityAgent, d.tokens(p))
	}
	// The inventory's ProxyJump or ProxyCommand wins over ssh_config's.
	switch {
	case strings.EqualFold(t.SSH.ProxyJump, "none"):
		p.proxyJump = ""
	case t.SSH.ProxyJump != "":
		p.proxyJump, p.proxyCommand = t.SSH.ProxyJump, ""
	case t.SSH.ProxyCommand != "":
		p.proxyJump, p.proxyCommand = "", t.SSH.ProxyCommand
	}
	if strings.EqualFold(p.proxyCommand, "none") {
		p.proxyCommand = ""
	}
	if t.SSH.ProxyCommand != "" && p.proxyCommand != "" {
		if _, err := p.proxyCommandLine(); err != nil {
			return nil, fmt.Errorf("host %s: %w", p.name, err)
		}
	}
	if t.SSH.KnownHostsFile != "" {
		p.knownHostsFiles = []string{expandPath(t.SSH.KnownHostsFile, d.tokens(p))}
	}
	if t.SSH.HostKeyPolicy != "" {
		if p.policy, err = parsePolicy(t.SSH.HostKeyPolicy); err != nil {
			return nil, fmt.Errorf("host %s: %w", p.name, err)
		}
	}
	if t.ConnectTimeout > 0 {
		p.connectTimeout = t.ConnectTimeout
	}
	p.passwordEnv, p.password = t.PasswordEnv, t.Password
	return p, nil
}

// resolveHost computes the settings of a host from ssh_config and Options
// alone (bastions), with the user and port given explicitly winning.
func (d *Dialer) resolveHost(alias, user string, port int, configFile string) (*hostParams, error) {
	cfg, err := d.sshConfig(configFile)
	if err != nil {
		return nil, err
	}
	v := cfg.resolve(alias, user, d.opts.LocalUser)
	p := &hostParams{
		name:              alias,
		alias:             alias,
		hostname:          alias,
		user:              user,
		port:              port,
		agentSocket:       d.opts.agentSocket(),
		policy:            d.policy,
		connectTimeout:    d.opts.ConnectTimeout,
		keepaliveInterval: d.opts.KeepaliveInterval,
		keepaliveCountMax: d.opts.KeepaliveCountMax,
		getenv:            d.opts.Getenv,
	}
	if h := v.get("hostname"); h != "" {
		p.hostname = expandHostName(h, alias)
	}
	if p.user == "" {
		p.user = v.get("user")
	}
	if p.user == "" {
		p.user = d.opts.LocalUser
	}
	if err := p.applyConfig(v, d.opts); err != nil {
		return nil, err
	}
	tok := d.tokens(p)
	for _, e := range v.all("identityfile") {
		if !strings.EqualFold(e.value, "none") {
			p.identityFiles = appendUnique(p.identityFiles, expandPath(e.value, tok))
		}
	}
	for _, e := range v.all("certificatefile") {
		if !strings.EqualFold(e.value, "none") {
			p.certificateFiles = appendUnique(p.certificateFiles, expandPath(e.value, tok))
		}
	}
	p.knownHostsFiles = d.knownHostsFiles(v, tok)
	if e, ok := v.entry("identityagent"); ok {
		p.setIdentityAgent(e.value, tok)
	}
	return p, nil
}

// setIdentityAgent applies an IdentityAgent value as OpenSSH reads it:
// "none" turns the agent off, SSH_AUTH_SOCK is the default, $VAR names an
// environment variable holding the socket, anything else is the socket.
func (p *hostParams) setIdentityAgent(value string, tok tokens) {
	switch {
	case strings.EqualFold(value, "none"):
		p.agentSocket = ""
	case value == "SSH_AUTH_SOCK": // the default
	case strings.HasPrefix(value, "$"):
		p.agentSocket = p.getenv(value[1:])
	default:
		p.agentSocket = expandPath(value, tok)
	}
}

// applyConfig applies the scalar ssh_config settings that the inventory
// may override later.
func (p *hostParams) applyConfig(v *configValues, opts Options) error {
	if p.port == 0 {
		p.port = 22
		if e, ok := v.entry("port"); ok {
			n, err := parsePort(e.value)
			if err != nil {
				return fmt.Errorf("%s: Port: %w", e.pos, err)
			}
			p.port = n
		}
	}
	if e, ok := v.entry("identitiesonly"); ok {
		p.identitiesOnly = isYes(e.value)
	}
	// As in OpenSSH, whichever of ProxyJump and ProxyCommand comes first
	// wins.
	jump, hasJump := v.entry("proxyjump")
	command, hasCommand := v.entry("proxycommand")
	switch {
	case hasJump && (!hasCommand || jump.order < command.order):
		p.proxyJump = jump.value
	case hasCommand:
		p.proxyCommand = command.value
		if _, err := (&hostParams{proxyCommand: command.value}).proxyCommandLine(); err != nil {
			return fmt.Errorf("%s: %w", command.pos, err)
		}
	}
	if strings.EqualFold(p.proxyJump, "none") {
		p.proxyJump = ""
	}
	if strings.EqualFold(p.proxyCommand, "none") {
		p.proxyCommand = ""
	}
	if e, ok := v.entry("stricthostkeychecking"); ok {
		pol, err := parsePolicy(e.value)
		if err != nil {
			return fmt.Errorf("%s: %w", e.pos, err)
		}
		p.policy = pol
	}
	if err := p.applyAlgorithms(v); err != nil {
		return err
	}
	if e, ok := v.entry("hostkeyalias"); ok {
		p.hostKeyAlias = e.value
	}
	secs := func(key string) (time.Duration, bool, error) {
		e, ok := v.entry(key)
		if !ok {
			return 0, false, nil
		}
		if strings.EqualFold(e.value, "none") {
			return 0, false, nil
		}
		d, err := parseTime(e.value)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %s: %w", e.pos, key, err)
		}
		return d, true, nil
	}
	if d, ok, err := secs("connecttimeout"); err != nil {
		return err
	} else if ok && d > 0 {
		p.connectTimeout = d
	}
	if d, ok, err := secs("serveraliveinterval"); err != nil {
		return err
	} else if ok {
		p.keepaliveInterval = d
		if d == 0 {
			p.keepaliveInterval = -1 // explicitly off
		}
	}
	if e, ok := v.entry("serveralivecountmax"); ok {
		n, err := strconv.Atoi(e.value)
		if err != nil || n < 0 {
			return fmt.Errorf("%s: invalid ServerAliveCountMax %q", e.pos, e.value)
		}
		if n > 0 {
			p.keepaliveCountMax = n
		}
	}
	return nil
}

// applyAlgorithms sets the algorithms the handshake offers from
// KexAlgorithms, Ciphers and MACs.
func (p *hostParams) applyAlgorithms(v *configValues) error {
	p.algorithms.KeyExchanges = defaultKeyExchanges
	for _, a := range []struct {
		key  string
		kind algorithmKind
		dst  *[]string
	}{
		{"kexalgorithms", kexKind, &p.algorithms.KeyExchanges},
		{"ciphers", cipherKind, &p.algorithms.Ciphers},
		{"macs", macKind, &p.algorithms.MACs},
	} {
		if e, ok := v.entry(a.key); ok {
			list, err := a.kind.parse(e.value)
			if err != nil {
				return fmt.Errorf("%s: %w", e.pos, err)
			}
			*a.dst = list
		}
	}
	return nil
}

// knownHostsFiles returns the known_hosts files for a host: Options wins,
// then UserKnownHostsFile, then ~/.ssh/known_hosts.
func (d *Dialer) knownHostsFiles(v *configValues, tok tokens) []string {
	if d.opts.KnownHostsFile != "" {
		return []string{d.opts.KnownHostsFile}
	}
	if e, ok := v.entry("userknownhostsfile"); ok {
		args := []string{e.value}
		if e.multi {
			args, _ = splitArgs(e.value)
		}
		var files []string
		for _, a := range args {
			if !strings.EqualFold(a, "none") {
				files = append(files, expandPath(a, tok))
			}
		}
		if len(files) > 0 {
			return files
		}
	}
	return []string{filepath.Join(d.opts.Home, ".ssh", "known_hosts")}
}

// tokens returns the values path tokens expand to for a host.
func (d *Dialer) tokens(p *hostParams) tokens {
	return tokens{
		home: d.opts.Home, localUser: d.opts.LocalUser,
		host: p.hostname, original: p.alias, port: strconv.Itoa(p.port), remoteUser: p.user,
	}
}

func isYes(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "true":
		return true
	}
	return false
}

func appendUnique(list []string, items ...string) []string {
	for _, it := range items {
		dup := false
		for _, have := range list {
			dup = dup || have == it
		}
		if !dup {
			list = append(list, it)
		}
	}
	return list
}
