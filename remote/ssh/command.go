package ssh

import (
	"fmt"
	"slices"
	"strings"

	"github.com/remotectl/remotectl/remote"
)

// How a remote command is kept from outliving its session.
//
// OpenSSH does not kill a non-pty command when its channel closes: sshd only
// closes the pipes, so `sleep 300` (or anything that neither reads nor
// writes) lingers after a timeout, a Ctrl-C or a lost connection. The
// "signal" channel request does not help in general: sshd refuses it for
// sessions without privilege separation, which includes every root login
// ("session signalling requires privilege separation"). Every command is
// therefore run through a small POSIX sh wrapper that starts a guard in the
// background and then `exec`s the command, so that the command keeps the
// wrapper's pid ($$): sshd reports its exit status or signal directly. sshd
// starts the wrapper in a new session (setsid), so the command and all its
// children share the wrapper's process group, which the guard kills with
// `kill 0`. The guard's own output goes to /dev/null, so it never holds the
// channel open. Two guards exist:
//
//   - The stdin guard, for commands without input and without a pty (the
//     usual case). The command's stdin is /dev/null; the guard reads the
//     channel's stdin, on which the client sends nothing and which it never
//     closes while the command runs. End of file therefore means the client
//     closed stdin to stop the command, closed the channel, or the
//     connection died (sshd closes the pipe in all three cases). If the
//     command is still running then, the guard sends TERM to the process
//     group and, a second later, KILL. When the command ends normally, sshd
//     closes the channel after reaping it, and the guard exits quietly.
//   - The parent guard, when stdin carries the command's input or a pty is
//     requested. It polls its original parent (the sshd process serving the
//     connection) with `kill -0` once a second and kills the process group
//     when that parent is gone, i.e. when the connection died or the client
//     closed it; it exits as soon as the command has ended. A pty session
//     also gets SIGHUP from the kernel when the channel closes.
//
// On the client side, when ctx is done, Run closes stdin (the stdin
// guard's cue); without become it also sends the TERM signal request and,
// after Options.KillGrace, KILL, which sshd delivers to the whole process
// group where it allows signals (not for root logins); then it closes the
// channel. The one case left: a parent-guarded command (input or pty) whose
// signals cannot be delivered (root login, or become) keeps running until
// the connection is closed, which the Runner does as soon as the host's job
// returns; the guard then kills it within a second.
//
// With become, sudo starts the command as another user, out of reach of a
// guard running as the login user (whose `kill 0` cannot signal root's
// processes). The wrapper is therefore put inside sudo, so that the guard
// runs as the target user, in the command's process group: the stdin guard
// sees the end of file through sudo (which hands the command its stdin,
// after reading the password line when sudo -S is used), and the parent
// guard is given the pid of the sshd process as an argument, since its own
// parent, sudo, does not die with the connection.
//
// With become_method su (su.go), the same wrapper is the command su runs.
//
// The scheme needs a POSIX login shell (sh, bash, dash, ksh, zsh) and the
// kill, sleep and sudo (or su) commands on the host.

// guardMode chooses the guard for a command (see above).
type guardMode int

const (
	guardStdin  guardMode = iota + 1 // the channel's stdin is the guard's
	guardParent                      // poll the parent process
	guardPool                        // the pool shell's own guard (shell.go): none here
)

// guardFor returns the guard a command gets.
func guardFor(cmd *remote.Cmd) guardMode {
	if cmd.Stdin == nil && !cmd.PTY {
		return guardStdin
	}
	return guardParent
}

// stdinGuard waits for the end of the channel's stdin, then kills the
// process group if the command ($$ after exec) is still there. It ignores
// TERM, INT and HUP so that the TERM it sends to its own group does not stop
// it before the KILL. Its stdin is the channel's, passed explicitly through
// fd 3: a shell gives asynchronous lists /dev/null as stdin otherwise.
const stdinGuard = `exec 3<&0; (trap '' TERM INT HUP; while read -r rctl_line; do :; done; ` +
	`if kill -0 $$ 2>/dev/null; then kill -TERM 0; sleep 1; kill -KILL 0; fi) <&3 >/dev/null 2>&1 3<&- &`

// parentGuard polls the sshd process serving the connection (the
// wrapper's original parent, or $1 when the wrapper runs under sudo) and
// kills the process group when it is gone while the command still runs. A
// process it may not signal (sshd of another user) is looked up with ps;
// when ps is missing it is assumed alive, so the guard never kills by
// mistake.
const parentGuard = `rctl_pp=${1:-$PPID}; (trap '' TERM INT HUP; ` +
	`rctl_alive() { kill -0 "$1" 2>/dev/null && return 0; ps -p "$1" >/dev/null 2>&1; [ $? -ne 1 ]; }; ` +
	`while rctl_alive "$rctl_pp" && kill -0 $$ 2>/dev/null; do sleep 1; done; ` +
	`kill -0 $$ 2>/dev/null && kill -KILL 0) </dev/null >/dev/null 2>&1 &`

// sudoMode is how sudo is invoked for become on one transport.
type sudoMode int

const (
	sudoNoPassword sudoMode = iota + 1 // sudo -n works
	sudoPassword                       // sudo -S with the password on stdin
)

// becomeSpec says whether and how a command runs through sudo or su.
type becomeSpec struct {
	user   string   // target user; "" means root
	mode   sudoMode // 0 means no become
	method string   // "su", else sudo
	flags  string   // su's become_flags, shell words as written
}

func (b becomeSpec) enabled() bool { return b.mode != 0 }

// sudoArgs returns the sudo invocation (without the command) for the mode.
// With a password, -k ignores cached credentials so that sudo always reads
// the password line and never passes it on to the command's stdin.
func (b becomeSpec) sudoArgs() []string {
	user := b.user
	if user == "" {
		user = "root"
	}
	if b.mode == sudoPassword {
		return []string{"sudo", "-k", "-S", "-p", "", "-u", user, "--"}
	}
	return []string{"sudo", "-n", "-u", user, "--"}
}

// buildCommand returns the command line sent in the SSH exec request for
// cmd: environment, working directory and guard wrapped around the quoted
// argv (or the shell line), run through sudo when become is enabled.
func buildCommand(cmd *remote.Cmd, become becomeSpec) (string, error) {
	guard := guardFor(cmd)
	inner, err := innerScript(cmd, guard)
	if err != nil {
		return "", err
	}
	if !become.enabled() {
		return inner, nil
	}
	// The wrapper inside sudo (or su) gets the pid of sshd as $1 for its
	// parent guard: its own parent is sudo, which outlives a lost
	// connection.
	if become.method == becomeMethodSu {
		// su -c hands one string to the user's shell: the pid is
		// appended to it by the login shell, in the same word.
		script := quote("exec /bin/sh -c "+quote(inner)+" remotectl ") + `"$PPID"`
		return "exec " + suLine(become.user, become.flags, script), nil
	}
	args := append(become.sudoArgs(), "/bin/sh", "-c", inner, "remotectl")
	return "exec " + quoteArgs(args) + ` "$PPID"`, nil
}

// innerScript is the wrapper run as the final user: exported environment,
// cd, guard, exec of the command. For a pool shell (guardPool) it is the
// script the shell evals: no guard, and the shell line inline, the pool
// shell being /bin/sh already.
func innerScript(cmd *remote.Cmd, guard guardMode) (string, error) {
	var b strings.Builder
	if err := writeEnv(&b, cmd.Env); err != nil {
		return "", err
	}
	if cmd.Dir != "" {
		b.WriteString("cd -- " + quote(cmd.Dir) + " || exit 1\n")
	}
	redirect := ""
	switch guard {
	case guardStdin:
		b.WriteString(stdinGuard + "\n")
		redirect = " </dev/null 3<&-"
	case guardParent:
		b.WriteString(parentGuard + "\n")
	}
	switch {
	case len(cmd.Args) > 0 && cmd.Shell != "":
		return "", fmt.Errorf("command has both Args and Shell set; use one")
	case len(cmd.Args) > 0:
		b.WriteString("exec " + quoteArgs(cmd.Args) + redirect)
	case cmd.Shell != "" && guard == guardPool:
		b.WriteString(cmd.Shell)
	case cmd.Shell != "":
		b.WriteString("exec /bin/sh -c " + quote(cmd.Shell) + redirect)
	default:
		return "", fmt.Errorf("empty command: set Args or Shell")
	}
	return b.String(), nil
}

// writeEnv writes one `export NAME=value` line per variable, sorted by name.
func writeEnv(b *strings.Builder, env map[string]string) error {
	names := make([]string, 0, len(env))
	for name := range env {
		if !validEnvName(name) {
			return fmt.Errorf("invalid environment variable name %q: use letters, digits and _, not starting with a digit", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b.WriteString("export " + name + "=" + quote(env[name]) + "\n")
	}
	return nil
}

// validEnvName reports whether s is a portable shell variable name.
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// quoteArgs quotes each argument for a POSIX shell and joins them with spaces.
func quoteArgs(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quote(a)
	}
	return strings.Join(quoted, " ")
}

// quote returns s quoted for a POSIX shell. Strings made only of characters
// no shell treats specially are returned as they are; anything else is put
// in single quotes, where each embedded single quote closes the quoted
// string, adds an escaped quote and reopens it.
func quote(s string) string {
	if s != "" && isShellSafe(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isShellSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-_./:,+@%", c) >= 0:
		default:
			return false
		}
	}
	return true
}
