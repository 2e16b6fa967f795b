// Package checks holds infrastructure checks: typed specs of what to check
// (port listening, service up, HTTP 200, DNS resolves, ...) kept apart from how
// each is observed. Host-side observations go through the narrow Executor
// interface, so this package never depends on a concrete transport (SSH,
// WinRM): the architecture test in internal/archtest enforces it.
//
// # Check files
//
// Check files are goss's format, so goss files using the supported types
// run unchanged: a resource type, then an id, then the properties expected
// of it, with goss's matchers (a literal, which for outputs means the whole
// output; a list, which means "contains all" for lists and line patterns
// "foo", "!foo", "/re/", "/re/i" for outputs; and have-prefix, have-suffix,
// contain-substring, match-regexp, lt, le, gt, ge, have-len,
// contain-element, contain-elements, consist-of, equal, not, and, or,
// have-patterns, have-key, gjson, xml, semver-constraint). Supported types:
// port, addr, http, dns, service, process, package, file, user, group,
// command, kernel-param, mount, interface, matching, registry (Windows
// hosts), and tls (ours); Load
// reads gossfile includes. remotectl
// adds hosts: (a host pattern, for the whole file or one check), from:
// (host or controller, for http, addr, dns and tls), title:, skip:, and
// timeout: (goss's milliseconds, or a duration such as 5s).
//
// Files may be Go templates with goss's data (.Vars, .Env; ours: .Host)
// and functions (Sprig's, mkSlice, getEnv, readFile, regexMatch, toLower,
// toUpper, findStringSubmatch). A file whose templates all sit inside
// values ("{{ .Vars.port }}") is parsed once and its values are rendered
// per host by Suite.For, typed by what they render to; any other
// ({{ range }} around YAML) is rendered as a whole per host before it is
// parsed, as goss does, by Loader.
//
// # Evaluation
//
// Run evaluates one host's checks: one gather script collects every
// host-side observation in a single round trip, pure parsers read its
// output, and each property becomes one Result. On the controller itself
// (a LocalExecutor, remote/local) a Linux host's observations are read in
// Go into the same parsers, spawning nothing, and command checks run beside
// them. Network checks (http, addr,
// dns, tls) run concurrently from the controller, or through the host's
// connection with from: host.
//
// # Adding checks
//
// Current observes one resource as goss add writes it, AutoAdd whatever a
// name is (goss autoadd), and AddToFile merges the entries into a check
// file.
package checks

import (
	"context"

	"github.com/remotectl/remotectl/remote"
)

// Executor runs commands on the host under check. remote.Transport satisfies
// it. An Executor that also implements remote.NetDialer (SSH) lets network
// checks run from the host (from: host).
type Executor interface {
	Run(ctx context.Context, cmd *remote.Cmd) (remote.Result, error)
	OS() remote.OSFamily
}

var _ Executor = remote.Transport(nil)
