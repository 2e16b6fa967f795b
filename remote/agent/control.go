package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// Status returns the state of the agent on socket: its process and the
// connections it holds.
func Status(ctx context.Context, socket string) (Report, error) {
	rep, err := ask(ctx, socket, "status")
	if err == nil && rep.Status == nil {
		err = fmt.Errorf("agent protocol: a status reply without a status")
	}
	if err != nil {
		return Report{}, err
	}
	return *rep.Status, nil
}

// stopWait bounds the wait for a stopped agent to close its connections
// and exit.
const stopWait = 30 * time.Second

// Stop asks the agent on socket to close its connections and exit, and
// waits until it has (its lock is free): a run or `agent start` right
// after finds no agent, not one on its way out.
func Stop(ctx context.Context, socket string) error {
	if _, err := ask(ctx, socket, "stop"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, stopWait)
	defer cancel()
	lockFile := lockPath(socket)
	for {
		lock, err := lockAgent(lockFile)
		if err == nil {
			return lock.Close()
		}
		if !remote.Sleep(ctx, 20*time.Millisecond) {
			return fmt.Errorf("the agent did not exit within %s of being asked to stop (%s)", stopWait, err)
		}
	}
}

// ask sends a request without a lease and returns the reply.
func ask(ctx context.Context, socket, op string) (reply, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "unix", socket)
	if err != nil {
		return reply{}, fmt.Errorf("no agent answers on %s (a run with --persist, or remotectl agent start, starts one)", socket)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	rep, err := roundTrip(c, request{Op: op})
	if err == nil {
		err = rep.Err.decode()
	}
	return rep, err
}

// Spawn returns a function that starts `exe args...` as the agent,
// detached: a session of its own (no terminal, no signal from the run's
// Ctrl-C), its standard streams on /dev/null.
func Spawn(exe string, args ...string) func() error {
	return func() error {
		cmd := exec.Command(exe, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		cmd.Dir = "/" // it outlives the run: hold no directory of it
		if err := cmd.Start(); err != nil {
			return err
		}
		go func() { _ = cmd.Wait() }() // no zombie when it exits before the run
		return nil
	}
}

// Start starts an agent on socket with start unless one answers, and
// waits until it does.
func Start(ctx context.Context, socket string, start func() error) error {
	var nd net.Dialer
	if c, err := nd.DialContext(ctx, "unix", socket); err == nil {
		return c.Close()
	}
	if err := start(); err != nil {
		return err
	}
	c, err := waitAgent(ctx, socket)
	if err != nil {
		return err
	}
	return c.Close()
}

// WriteStatus writes the agent's process, then its connections as a
// table: host, address, age, idle time, sessions run, and whether a run
// uses it now.
func WriteStatus(w io.Writer, r Report, now time.Time) error {
	fmt.Fprintf(w, "agent pid %d, up %s\n", r.Pid, now.Sub(r.Started).Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tCONNECTION\tAGE\tIDLE\tSESSIONS\tIN USE")
	for _, h := range r.Held {
		idle := now.Sub(h.LastUsed).Round(time.Second)
		inUse := "no"
		if h.InUse {
			idle, inUse = 0, "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", h.Host, h.Addr, now.Sub(h.Created).Round(time.Second), idle, h.Sessions, inUse)
	}
	fmt.Fprintf(tw, "%d connection(s) held\n", len(r.Held))
	return tw.Flush()
}
