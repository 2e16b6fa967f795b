package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	gossh "golang.org/x/crypto/ssh"

	"github.com/remotectl/remotectl/remote"
)

// DefaultScanConcurrency is how many hosts Scan contacts at once.
const DefaultScanConcurrency = 32

// ScanOptions configure Scan.
type ScanOptions struct {
	Concurrency int // hosts contacted at once (default 32)
}

// ScanResult is the host key one target presented.
type ScanResult struct {
	Target      remote.Target
	Key         gossh.PublicKey // nil when Err is set
	Fingerprint string          // SHA256:...
	Status      string          // StatusNew, StatusKnown, StatusChanged or StatusRevoked
	Err         error           // classified; set when the key could not be obtained
	// ForgetCommand, for a changed key, is the command that removes the
	// keys on record (see ForgetKeyCommand): what to run once it is sure
	// the host was reinstalled.
	ForgetCommand string

	hostport string          // the name the key is recorded under
	file     *knownHostsFile // where Accept records it
}

// errScanned stops the handshake once the host key is captured.
var errScanned = errors.New("host key captured")

// Scan connects to each target (through its ProxyJump chain, if any), runs
// the key exchange to capture the host key without authenticating, and
// compares it with known_hosts. Results are in target order.
func (d *Dialer) Scan(ctx context.Context, targets []remote.Target, opts ScanOptions) []ScanResult {
	n := opts.Concurrency
	if n <= 0 {
		n = DefaultScanConcurrency
	}
	results := make([]ScanResult, len(targets))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = d.scanOne(ctx, t)
		}()
	}
	wg.Wait()
	return results
}

func (d *Dialer) scanOne(ctx context.Context, t remote.Target) ScanResult {
	res := ScanResult{Target: t}
	p, err := d.resolveTarget(t)
	if err != nil {
		res.Err = &remote.Error{Class: remote.ClassOther, Op: "config", Err: err}
		return res
	}
	checker := d.hostKeyChecker(p)
	res.hostport = p.hostKeyName()
	if len(checker.files) > 0 {
		res.file = checker.files[0]
	}
	key, err := d.fetchHostKey(ctx, p, checker)
	if err != nil {
		res.Err = err
		return res
	}
	v, err := checker.verdict(res.hostport, key)
	if err != nil {
		res.Err = &remote.Error{Class: remote.ClassOther, Op: "hostkey", Err: err}
		return res
	}
	res.Key, res.Fingerprint, res.Status = key, gossh.FingerprintSHA256(key), v.status
	if v.status == StatusChanged {
		res.ForgetCommand = ForgetKeyCommand(res.hostport, v.files())
	}
	return res
}

// probeConn is a connection opened for a short exchange that does not log
// in (scan, doctor): bounded by the connect timeout and closed when ctx ends.
type probeConn struct {
	conn  net.Conn
	cctx  context.Context // ends at the connect timeout
	guard *deadlineGuard  // guard.stop() tells whether the timeout expired
	close func()
}

// openProbe connects to p (through its ProxyJump chain) for a probeConn.
// Errors are classified.
func (d *Dialer) openProbe(ctx context.Context, p *hostParams) (*probeConn, error) {
	cctx, cancel := context.WithTimeout(ctx, p.connectTimeout)
	netConn, bastion, err := d.openTCP(cctx, p, opDial)
	if err != nil {
		err = d.connectError(ctx, cctx, p, opDial, err)
		cancel()
		return nil, err
	}
	stopCancel := context.AfterFunc(ctx, func() { netConn.Close() })
	return &probeConn{
		conn:  netConn,
		cctx:  cctx,
		guard: newDeadlineGuard(netConn, cctx),
		close: func() {
			stopCancel()
			netConn.Close()
			bastion.release()
			cancel()
		},
	}, nil
}

// fetchHostKey runs the key exchange with the host and returns its key.
func (d *Dialer) fetchHostKey(ctx context.Context, p *hostParams, checker *hostKeyChecker) (gossh.PublicKey, error) {
	pc, err := d.openProbe(ctx, p)
	if err != nil {
		return nil, err
	}
	defer pc.close()
	netConn, cctx, guard := pc.conn, pc.cctx, pc.guard
	var key gossh.PublicKey
	cfg := &gossh.ClientConfig{
		Config: p.algorithms,
		User:   p.user,
		HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error {
			key = k
			return errScanned
		},
		HostKeyAlgorithms: checker.offer(p.hostKeyName()),
		ClientVersion:     clientVersion,
	}
	_, _, _, err = gossh.NewClientConn(netConn, p.hostKeyName(), cfg)
	expired := guard.stop()
	if key != nil {
		return key, nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, classify(opHandshake, ctx.Err())
	case expired:
		return nil, d.timeoutError(p, opHandshake)
	}
	return nil, d.connectError(ctx, cctx, p, opHandshake, err)
}

// Accept records the keys of results whose Status is StatusNew in the
// known_hosts file of their target (re-checking the file first, safe with
// many concurrent writers). Other results are left alone: a changed key
// must be removed by hand (ssh-keygen -R) after checking why it changed.
func (d *Dialer) Accept(results []ScanResult) error {
	var errs []error
	for i := range results {
		r := &results[i]
		if r.Status != StatusNew || r.Key == nil || r.file == nil {
			continue
		}
		v, err := r.file.appendKey(r.hostport, r.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Target.Name, err))
			continue
		}
		r.Status = v.status
		if v.status != StatusKnown {
			errs = append(errs, fmt.Errorf("%s: %w", r.Target.Name, hostKeyError(d.opts.acceptCommand(r.Target.Name), r.hostport, r.Key, v)))
		}
	}
	return errors.Join(errs...)
}
