package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/remotectl/remotectl/remote"
)

// ProxyCommand (ssh_config, or -o ProxyCommand=... in the inventory's
// ansible_ssh_common_args) is run as OpenSSH runs it: `exec COMMAND` by
// /bin/sh -c, with %h %p %r %n %% expanded, in a process group of its own;
// its stdin and stdout are the connection. The whole group is killed when
// the connection is closed, including when the dial is cancelled or times
// out.

// hintProxyCommand is the hint of a ProxyCommand that fails.
const hintProxyCommand = "check the ProxyCommand: run it by hand with the tokens expanded, it should print the server's SSH banner"

// proxyCommandLine expands the tokens of p's ProxyCommand: %h the host
// name, %p the port, %r the remote user, %n the name as given, %% a %.
// Any other token is an error, as in OpenSSH.
func (p *hostParams) proxyCommandLine() (string, error) {
	var b strings.Builder
	s := p.proxyCommand
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("ProxyCommand %q ends with a lone %%", s)
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'h':
			b.WriteString(p.hostname)
		case 'p':
			b.WriteString(strconv.Itoa(p.port))
		case 'r':
			b.WriteString(p.user)
		case 'n':
			b.WriteString(p.alias)
		default:
			return "", fmt.Errorf("ProxyCommand %q: unknown token %%%c (known: %%h %%p %%r %%n %%%%)", s, s[i])
		}
	}
	return b.String(), nil
}

// dialProxyCommand starts p's ProxyCommand and returns the connection
// through it. The command is killed if ctx ends before it returns.
func (d *Dialer) dialProxyCommand(ctx context.Context, p *hostParams) (net.Conn, error) {
	line, err := p.proxyCommandLine()
	if err != nil {
		return nil, &remote.Error{Class: remote.ClassOther, Op: "config", Err: err, Hint: hintProxyCommand}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := startProxyCommand(line, p.addr(), d.opts.WorkDir)
	if err != nil {
		return nil, &remote.Error{Class: remote.ClassOther, Op: opDial,
			Err: fmt.Errorf("%s: ProxyCommand: %w", p.name, err), Hint: hintProxyCommand}
	}
	return c, nil
}

// startProxyCommand runs line with /bin/sh and returns its stdin and
// stdout as a connection to addr.
func startProxyCommand(line, addr, dir string) (*proxyConn, error) {
	// Pipes made here rather than by exec, so that reads and writes take
	// deadlines (the handshake's connect deadline).
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", "exec "+line)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout = inR, outW
	cmd.Stderr = &boundedBuffer{max: 4 << 10}
	// A child that left the process group and keeps stderr open must not
	// hold Close (which waits for the command) for ever.
	cmd.WaitDelay = time.Second
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{inR, inW, outR, outW} {
			f.Close()
		}
		return nil, err
	}
	// The child holds its ends now.
	inR.Close()
	outW.Close()
	c := &proxyConn{cmd: cmd, in: inW, out: outR, remote: proxyAddr(addr), exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// proxyConn is a connection through a ProxyCommand: its stdout is read,
// its stdin written. Close kills the command's process group.
type proxyConn struct {
	cmd     *exec.Cmd
	in      *os.File // the command's stdin
	out     *os.File // the command's stdout
	remote  net.Addr
	exited  chan struct{}
	waitErr error // set before exited is closed

	closeOnce sync.Once
}

func (c *proxyConn) Read(b []byte) (int, error) {
	n, err := c.out.Read(b)
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	}
	return n, err
}

func (c *proxyConn) Write(b []byte) (int, error) {
	n, err := c.in.Write(b)
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	}
	return n, err
}

// Close closes the pipes and kills the command's process group, then
// reaps it.
func (c *proxyConn) Close() error {
	c.closeOnce.Do(func() {
		c.in.Close()
		c.out.Close()
		killProcessGroup(c.cmd)
		<-c.exited
	})
	return nil
}

// explain adds what the command wrote to its stderr to a failure to
// connect through it (which closed the connection already).
func (c *proxyConn) explain(err error) error {
	said := c.stderr()
	var re *remote.Error
	if said == "" || !errors.As(err, &re) || re.Class != remote.ClassProtocol {
		return err
	}
	e := *re
	e.Err = fmt.Errorf("%w (the ProxyCommand said: %s)", re.Err, said)
	e.Hint = hintProxyCommand
	return &e
}

// stderr returns what the command wrote to its stderr so far.
func (c *proxyConn) stderr() string {
	select {
	case <-c.exited:
	case <-time.After(100 * time.Millisecond):
	}
	return strings.TrimSpace(c.cmd.Stderr.(*boundedBuffer).String())
}

func (c *proxyConn) LocalAddr() net.Addr  { return proxyAddr("proxycommand") }
func (c *proxyConn) RemoteAddr() net.Addr { return c.remote }

func (c *proxyConn) SetDeadline(t time.Time) error {
	return errors.Join(c.in.SetWriteDeadline(t), c.out.SetReadDeadline(t))
}
func (c *proxyConn) SetReadDeadline(t time.Time) error  { return c.out.SetReadDeadline(t) }
func (c *proxyConn) SetWriteDeadline(t time.Time) error { return c.in.SetWriteDeadline(t) }

// proxyAddr is the address of a connection through a ProxyCommand.
type proxyAddr string

func (a proxyAddr) Network() string { return "proxycommand" }
func (a proxyAddr) String() string  { return string(a) }

// boundedBuffer keeps the first max bytes written to it.
type boundedBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *boundedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
