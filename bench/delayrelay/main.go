// Command delayrelay is a TCP relay that adds a fixed latency to every chunk
// of data in each direction. bench/fleet.sh puts one in front of each sshd of
// a loopback fleet to emulate a WAN (the kernel here has no netem).
//
// Usage:
//
//	delayrelay -delay 10ms [-pidfile FILE] LISTEN=TARGET...
//
// Each LISTEN=TARGET pair ("127.1.0.1:2222=127.1.0.1:3222") listens on LISTEN
// and forwards every accepted connection to TARGET. Data read from one side
// is written to the other Delay later; reading and writing are decoupled by
// a bounded queue, so the relay adds latency without limiting throughput.
// The pid file is written once every address is listening and removed on
// exit. SIGINT or SIGTERM stops the relay and drops its connections.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "delayrelay: %v\n", err)
		os.Exit(2)
	}
}

// run parses args, listens on every address and relays until ctx is done.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("delayrelay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	delay := fs.Duration("delay", 10*time.Millisecond, "latency added to each direction")
	pidFile := fs.String("pidfile", "", "write the process id here once listening")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: delayrelay [-delay 10ms] [-pidfile FILE] LISTEN=TARGET...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *delay < 0 {
		return fmt.Errorf("-delay %v: want a duration of zero or more", *delay)
	}
	forwards, err := parseForwards(fs.Args())
	if err != nil {
		return err
	}

	listeners, err := listenAll(forwards)
	if err != nil {
		return err
	}
	if *pidFile != "" {
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			closeAll(listeners)
			return fmt.Errorf("writing pid file: %w", err)
		}
		defer os.Remove(*pidFile)
	}

	logger := log.New(stderr, "delayrelay: ", log.LstdFlags)
	relay := &Relay{Delay: *delay, Logf: logger.Printf}
	return serveAll(ctx, relay, listeners, forwards)
}

// parseForwards parses LISTEN=TARGET arguments.
func parseForwards(args []string) ([]Forward, error) {
	if len(args) == 0 {
		return nil, errors.New("no LISTEN=TARGET pair given (e.g. 127.1.0.1:2222=127.1.0.1:3222)")
	}
	forwards := make([]Forward, 0, len(args))
	for _, arg := range args {
		listen, target, ok := strings.Cut(arg, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want LISTEN=TARGET, e.g. 127.1.0.1:2222=127.1.0.1:3222", arg)
		}
		for _, addr := range []string{listen, target} {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return nil, fmt.Errorf("%q: %v (want HOST:PORT)", arg, err)
			}
		}
		forwards = append(forwards, Forward{Listen: listen, Target: target})
	}
	return forwards, nil
}

// listenAll listens on every forward's address, or on none if one fails.
func listenAll(forwards []Forward) ([]net.Listener, error) {
	listeners := make([]net.Listener, 0, len(forwards))
	for _, f := range forwards {
		ln, err := net.Listen("tcp", f.Listen)
		if err != nil {
			closeAll(listeners)
			return nil, fmt.Errorf("listening: %w (is another fleet or relay using the port?)", err)
		}
		listeners = append(listeners, ln)
	}
	return listeners, nil
}

func closeAll(listeners []net.Listener) {
	for _, ln := range listeners {
		ln.Close()
	}
}

// serveAll relays on every listener until ctx is done; the first listener
// failure stops them all.
func serveAll(ctx context.Context, relay *Relay, listeners []net.Listener, forwards []Forward) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for i, ln := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := relay.Serve(ctx, ln, forwards[i].Target); err != nil {
				errOnce.Do(func() { firstErr = fmt.Errorf("accepting on %s: %w", forwards[i].Listen, err) })
				cancel()
			}
		}()
	}
	wg.Wait()
	return firstErr
}
