package ssh

import (
	"bufio"
	"net"
)

// versionBufSize is enough for the server's identification line (at most 255
// bytes) and what usually follows it in the same segment.
const versionBufSize = 512

// bufferedConn puts a small read buffer in front of a connection handed to
// x/crypto/ssh, which reads the server's identification line one byte per
// read: some forty system calls per connection. Once the buffer is drained,
// x/crypto's own larger reads pass straight through to the connection
// (bufio reads directly into a caller's buffer that is at least its size),
// so the packets that follow are not copied twice.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func newBufferedConn(c net.Conn) *bufferedConn {
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, versionBufSize)}
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
