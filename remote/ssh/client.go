package ssh

import (
	gossh "golang.org/x/crypto/ssh"
)

// Channels that are closed from the start: gossh.NewClient's own loops over
// them end at once.
var (
	noChannels = func() chan gossh.NewChannel { c := make(chan gossh.NewChannel); close(c); return c }()
	noRequests = func() chan *gossh.Request { c := make(chan *gossh.Request); close(c); return c }()
)

// newClient is gossh.NewClient serving the server's channel opens and global
// requests on one goroutine instead of two: a run keeps a thousand
// connections open at once, and every parked goroutine costs its stack.
// remotectl accepts no channel from a server (no port or agent
// forwarding), so every open is rejected, as gossh.Client does for types
// without a handler; global requests (hostkeys-00@openssh.com, keepalives)
// get a failure reply, as gossh.Client and OpenSSH give them.
func newClient(c gossh.Conn, chans <-chan gossh.NewChannel, reqs <-chan *gossh.Request) *gossh.Client {
	go serveIncoming(chans, reqs)
	return gossh.NewClient(c, noChannels, noRequests)
}

// serveIncoming rejects channel opens and answers global requests until the
// connection closes both channels.
func serveIncoming(chans <-chan gossh.NewChannel, reqs <-chan *gossh.Request) {
	for chans != nil || reqs != nil {
		select {
		case ch, ok := <-chans:
			if !ok {
				chans = nil
				continue
			}
			_ = ch.Reject(gossh.UnknownChannelType, "unknown channel type: "+ch.ChannelType())
		case r, ok := <-reqs:
			if !ok {
				reqs = nil
				continue
			}
			_ = r.Reply(false, nil)
		}
	}
}
