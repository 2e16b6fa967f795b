package ssh

import (
	"fmt"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// keepalive sends keepalive@openssh.com global requests every interval, as
// OpenSSH's ServerAliveInterval does. When countMax requests in a row get no
// answer, the peer is considered dead and the connection is closed, which
// ends every session on it; lost() then says why.
type keepalive struct {
	client   *gossh.Client
	interval time.Duration
	countMax int

	done     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu      sync.Mutex
	lostErr error
}

// startKeepalive starts the keepalive loop; interval <= 0 disables it (the
// returned value is still usable).
func startKeepalive(client *gossh.Client, interval time.Duration, countMax int) *keepalive {
	k := &keepalive{client: client, interval: interval, countMax: countMax, done: make(chan struct{})}
	if interval > 0 {
		k.wg.Add(1)
		go k.run()
	}
	return k
}

func (k *keepalive) run() {
	defer k.wg.Done()
	ticker := time.NewTicker(k.interval)
	defer ticker.Stop()
	replies := make(chan error, 1)
	pending, missed := false, 0
	for {
		select {
		case <-k.done:
			return
		case err := <-replies:
			pending, missed = false, 0
			if err != nil {
				return // the connection is closed
			}
		case <-ticker.C:
			if pending {
				missed++
				if missed >= k.countMax {
					k.declareDead()
					return
				}
				continue
			}
			pending = true
			go func() {
				// OpenSSH answers with a failure reply; any reply proves
				// the peer is alive.
				_, _, err := k.client.SendRequest("keepalive@openssh.com", true, nil)
				replies <- err
			}()
		}
	}
}

func (k *keepalive) declareDead() {
	k.mu.Lock()
	k.lostErr = fmt.Errorf("no answer to %d keepalives sent every %s: the host or the network is down",
		k.countMax, k.interval)
	k.mu.Unlock()
	k.client.Close()
}

// lost returns why the keepalive closed the connection, or nil.
func (k *keepalive) lost() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lostErr
}

// stop ends the loop and waits for it.
func (k *keepalive) stop() {
	k.stopOnce.Do(func() { close(k.done) })
	k.wg.Wait()
}
