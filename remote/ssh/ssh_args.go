package ssh

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The values of the ssh options remotectl accepts without effect in
// ansible_ssh_common_args and ansible_ssh_extra_args (sshArgsIgnored) are
// checked as ssh checks them: `-o ServerAliveInterval=x` makes ssh refuse
// to start, so it is an error here too rather than silently ignored.

// sshTime matches an OpenSSH time value: seconds, or numbers each followed
// by a unit (1h30m).
var sshTime = regexp.MustCompile(`^([0-9]+[sSmMhHdDwW]?)+$`)

// sshOptionValues checks the value of each ignored option.
var sshOptionValues = map[string]func(string) bool{
	"compression":         sshChoice("yes", "no", "true", "false"),
	"tcpkeepalive":        sshChoice("yes", "no", "true", "false"),
	"connectionattempts":  func(v string) bool { n, err := strconv.Atoi(v); return err == nil && n > 0 },
	"controlmaster":       sshChoice("yes", "no", "true", "false", "ask", "auto", "autoask"),
	"controlpath":         func(string) bool { return true },
	"controlpersist":      func(v string) bool { return sshChoice("yes", "no", "true", "false")(v) || sshTime.MatchString(v) },
	"loglevel":            sshChoice("quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3"),
	"serveralivecountmax": func(v string) bool { n, err := strconv.Atoi(v); return err == nil && n >= 0 },
	"serveraliveinterval": sshTime.MatchString,
}

// sshChoice accepts one of values, in any case.
func sshChoice(values ...string) func(string) bool {
	return func(v string) bool { return slices.Contains(values, strings.ToLower(v)) }
}

// checkIgnoredSSHOption checks the value of an option of sshArgsIgnored.
func checkIgnoredSSHOption(name, key, val string) error {
	if ok := sshOptionValues[strings.ToLower(key)]; ok != nil && !ok(val) {
		return fmt.Errorf("%s: -o %s: bad value %q (ssh would refuse it)", name, key, val)
	}
	return nil
}
