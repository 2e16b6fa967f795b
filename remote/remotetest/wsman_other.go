//go:build !unix

package remotetest

import (
	"errors"
	"os"
)

var errWSManUnsupported = errors.New("remotetest: the WS-Management test server runs commands with /bin/sh in process groups; it needs a POSIX system")

func wsmanPlatformSupported() error { return errWSManUnsupported }

// wsmanProcess is never created on this platform.
type wsmanProcess struct {
	stdin, stdout, stderr *os.File
}

func startWSManProcess(script, dir string, env []string) (*wsmanProcess, error) {
	return nil, errWSManUnsupported
}

func (p *wsmanProcess) pid() int               { return 0 }
func (p *wsmanProcess) signal(sig wsmanSignal) {}
func (p *wsmanProcess) wait() int              { return -1 }
func (p *wsmanProcess) closeOutput()           {}
