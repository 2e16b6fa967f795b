package remotetest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sshdPlatformSupported reports whether the real-sshd harness works here: it
// finds and kills sshd's descendants through /proc.
func sshdPlatformSupported() error { return nil }

// sshdSysProcAttr makes the kernel kill an sshd listener when the test
// process dies without running its cleanups (a panic or -timeout).
func sshdSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// procInfo is one process as /proc shows it.
type procInfo struct {
	pid, ppid int
	state     byte   // R, S, D, Z, T, ...
	cmdline   string // arguments joined by spaces; empty for zombies and kernel threads
}

// listProcesses returns every process /proc shows. Processes that exit while
// it reads are left out.
func listProcesses() []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var procs []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, ok := readProc(pid)
		if ok {
			procs = append(procs, p)
		}
	}
	return procs
}

// readProc reads /proc/PID/stat and cmdline. ok is false when the process is
// gone.
func readProc(pid int) (p procInfo, ok bool) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return p, false
	}
	// "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so
	// parse from the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return p, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 || len(fields[0]) != 1 {
		return p, false
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return p, false
	}
	p = procInfo{pid: pid, ppid: ppid, state: fields[0][0]}
	if cmd, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		p.cmdline = strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
	}
	return p, true
}

// fleetProcesses returns, sorted, the live descendants of roots (roots
// excluded) and every other live process whose SSH_CONNECTION environment
// variable names one of servers ("addr port"), with its descendants.
//
// A session command run without a PTY outlives its connection (OpenSSH does
// not kill it when the client goes away) and is reparented to init, out of
// the listeners' tree; sshd put the server address in its environment, and
// the fleet's addresses are unique to it.
func fleetProcesses(roots []int, servers map[string]bool) []int {
	children := map[int][]int{}
	queue := slices.Clone(roots)
	for _, p := range listProcesses() {
		if p.state == 'Z' || p.state == 'X' {
			continue
		}
		children[p.ppid] = append(children[p.ppid], p.pid)
		if len(servers) > 0 && servers[sshServerOf(p.pid)] {
			queue = append(queue, p.pid)
		}
	}
	seen := map[int]bool{}
	for _, pid := range roots {
		seen[pid] = true
	}
	var out []int
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if !seen[pid] {
			seen[pid] = true
			out = append(out, pid)
		}
		for _, c := range children[pid] {
			if !seen[c] {
				queue = append(queue, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// sshServerOf returns "addr port", the server side of the SSH_CONNECTION
// variable of process pid, or "" when it has none (or is not readable).
func sshServerOf(pid int) string {
	env, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return ""
	}
	for _, kv := range bytes.Split(env, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("SSH_CONNECTION=")); ok {
			// "client_addr client_port server_addr server_port"
			if f := strings.Fields(string(v)); len(f) == 4 {
				return f[2] + " " + f[3]
			}
		}
	}
	return ""
}

// killProcessTrees kills fleetProcesses(roots, servers) with SIGKILL, and the
// roots too unless keepRoots, then waits up to timeout for the killed
// processes to be gone (exited or zombie).
//
// sshd puts every connection and session in a new session (setsid), so
// process groups cannot reach them; they are found through parent ids and
// SSH_CONNECTION instead. To catch processes forked meanwhile, the whole set
// is first frozen with SIGSTOP (a stopped process cannot fork) until no new
// one appears, then killed. Kept roots are resumed with SIGCONT.
func killProcessTrees(roots []int, servers map[string]bool, keepRoots bool, timeout time.Duration) error {
	stopped := map[int]bool{}
	for _, pid := range roots {
		_ = syscall.Kill(pid, syscall.SIGSTOP)
		stopped[pid] = true
	}
	for grew := true; grew; {
		grew = false
		for _, pid := range fleetProcesses(roots, servers) {
			if !stopped[pid] {
				_ = syscall.Kill(pid, syscall.SIGSTOP)
				stopped[pid] = true
				grew = true
			}
		}
	}
	var victims []int
	for pid := range stopped {
		if !keepRoots || !slices.Contains(roots, pid) {
			victims = append(victims, pid)
		}
	}
	for _, pid := range victims {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if keepRoots {
		for _, pid := range roots {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	return waitProcessesGone(victims, timeout)
}

// waitProcessesGone waits until every pid has exited or is a zombie.
func waitProcessesGone(pids []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var alive []int
		for _, pid := range pids {
			if p, ok := readProc(pid); ok && p.state != 'Z' && p.state != 'X' {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			slices.Sort(alive)
			return fmt.Errorf("processes %v still alive %v after SIGKILL", alive, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
