package serve

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
)

// fleet is two hosts (both this machine, through the local transport)
// checking a file each: web's file exists, db's exists only once created.
type fleet struct {
	dir     string
	targets []remote.Target
	rounds  atomic.Int32
	inRound atomic.Int32
	overlap atomic.Bool // two rounds ran at once
	hold    chan struct{}
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{dir: t.TempDir(), targets: []remote.Target{{Name: "web"}, {Name: "db"}}}
	if err := os.WriteFile(filepath.Join(f.dir, "web"), []byte("up\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fleet) round(ctx context.Context) <-chan remote.Event {
	f.rounds.Add(1)
	if f.inRound.Add(1) > 1 {
		f.overlap.Store(true)
	}
	if f.hold != nil {
		<-f.hold
	}
	defer f.inRound.Add(-1)
	job := func(ctx context.Context, t remote.Transport, hio remote.HostIO) (remote.Result, error) {
		s, err := checks.Parse("c.yaml", []byte(fmt.Sprintf("file:\n  %s: {exists: true}\n", filepath.Join(f.dir, hio.Target.Name))))
		if err != nil {
			return remote.Result{}, err
		}
		res := checks.Run(ctx, t, checks.HostInfo{Name: hio.Target.Name}, s.Checks, checks.RunOptions{})
		return remote.Result{Detail: res}, nil
	}
	runner := &remote.Runner{Dialer: local.Dialer{}, Timeout: 30 * time.Second}
	// The round is read whole before it returns, so rounds are counted
	// as the server sees them.
	var events []remote.Event
	for ev := range runner.Run(ctx, f.targets, job) {
		events = append(events, ev)
	}
	ch := make(chan remote.Event, len(events))
	for _, ev := range events {
		ch <- ev
	}
	close(ch)
	return ch
}

// start serves f on a loopback port until the test ends.
func start(t *testing.T, s *Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	})
	return "http://" + addr.String()
}

func get(t *testing.T, url string, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestHealthRollUpAndHosts: 503 while a host fails, 200 for the host that
// passes (?host=) and for the fleet once every host passes (a new round,
// the cache having expired); 404 for a host the server does not check.
func TestHealthRollUpAndHosts(t *testing.T) {
	f := newFleet(t)
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	s := &Server{Targets: f.targets, Round: f.round, Cache: time.Minute, now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	url := start(t, s)

	resp, body := get(t, url+"/healthz", "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "db") {
		t.Errorf("fleet with db failing: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := get(t, url+"/healthz?host=web", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("?host=web: %d, want 200", resp.StatusCode)
	}
	if resp, _ := get(t, url+"/healthz?host=db", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("?host=db: %d, want 503", resp.StatusCode)
	}
	if resp, _ := get(t, url+"/healthz?host=nope", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("?host=nope: %d, want 404", resp.StatusCode)
	}
	if got := f.rounds.Load(); got != 1 {
		t.Errorf("rounds = %d, want 1 (cached for a minute)", got)
	}

	if err := os.WriteFile(filepath.Join(f.dir, "db"), []byte("up\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, url+"/healthz", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("cached round: %d, want the cached 503", resp.StatusCode)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if resp, body := get(t, url+"/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("after the cache expired: %d, want 200\n%s", resp.StatusCode, body)
	}
	if got := f.rounds.Load(); got != 2 {
		t.Errorf("rounds = %d, want 2", got)
	}
}

// TestNegotiation: ?format= wins, then Accept (q-values, goss's vnd
// types), then the server's format.
func TestNegotiation(t *testing.T) {
	f := newFleet(t)
	s := &Server{Targets: f.targets, Round: f.round, Format: "tap"}
	url := start(t, s)

	resp, body := get(t, url+"/healthz", "application/json")
	var doc struct {
		Hosts []struct {
			Host   string `json:"host"`
			Status string `json:"status"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Hosts) != 2 {
		t.Errorf("json: %v\n%s", err, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("json Content-Type = %q", ct)
	}

	resp, body = get(t, url+"/healthz", "text/html, application/xml;q=0.9, */*;q=0.8")
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
	}
	if err := xml.Unmarshal([]byte(body), &suites); err != nil {
		t.Errorf("junit: %v\n%s", err, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Errorf("junit Content-Type = %q", ct)
	}

	resp, body = get(t, url+"/healthz", "application/vnd.goss-json")
	if resp.Header.Get("Content-Type") != "application/vnd.goss-json" || !json.Valid([]byte(body)) {
		t.Errorf("goss media type: %q\n%s", resp.Header.Get("Content-Type"), body)
	}

	if _, body := get(t, url+"/healthz", ""); !strings.HasPrefix(body, "TAP version 13") {
		t.Errorf("no Accept: want the server's format (tap)\n%s", body)
	}
	if _, body := get(t, url+"/healthz?format=nagios", "application/json"); !strings.HasPrefix(body, "CHECKS ") {
		t.Errorf("?format=nagios:\n%s", body)
	}
	if resp, body := get(t, url+"/healthz?format=yaml", ""); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "junit") {
		t.Errorf("?format=yaml: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/healthz", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// TestOneRoundInFlight: requests arriving while a round runs wait for it
// and share it.
func TestOneRoundInFlight(t *testing.T) {
	f := newFleet(t)
	f.hold = make(chan struct{})
	s := &Server{Targets: f.targets, Round: f.round}
	url := start(t, s)
	var wg sync.WaitGroup
	codes := make(chan int, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(url + "/healthz")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	waitRound(t, f)
	close(f.hold)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", c)
		}
	}
	if n := f.rounds.Load(); n != 1 || f.overlap.Load() {
		t.Errorf("rounds = %d (overlap %v), want one round shared by every request", n, f.overlap.Load())
	}
}

// TestMetricsPromtool: /metrics is Prometheus's text format, as promtool
// reads it.
func TestMetricsPromtool(t *testing.T) {
	f := newFleet(t)
	url := start(t, &Server{Targets: f.targets, Round: f.round})
	resp, body := get(t, url+"/metrics", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `remotectl_check_success{`) || !strings.Contains(body, `host="db"`) {
		t.Fatalf("metrics: %d\n%s", resp.StatusCode, body)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestShutdownWaitsForTheRound: a server told to stop lets the request in
// progress finish before ListenAndServe returns.
func TestShutdownWaitsForTheRound(t *testing.T) {
	f := newFleet(t)
	f.hold = make(chan struct{})
	s := &Server{Targets: f.targets, Round: f.round}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a }) }()
	var url string
	select {
	case a := <-addrc:
		url = "http://" + a.String()
	case err := <-done:
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	waitRound(t, f)
	cancel()
	close(f.hold)
	if code := <-got; code != http.StatusServiceUnavailable {
		t.Errorf("request in progress during shutdown: %d, want its answer (503)", code)
	}
	if err := <-done; err != nil {
		t.Errorf("ListenAndServe = %v", err)
	}
}

// waitRound waits, at most 10s, for f's first round to start.
func waitRound(t *testing.T, f *fleet) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); f.rounds.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			close(f.hold)
			t.Fatal("no round started within 10s")
		}
	}
}
