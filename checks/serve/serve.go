// Package serve is goss serve for a fleet: an HTTP server whose health
// endpoint runs the checks of every host (one probe round at a time, its
// results kept for a while) and answers with the fleet's roll-up, or one
// host's, in the format the client negotiates.
//
// Endpoints:
//
//   - /healthz: 200 when every host was checked and every property
//     passed (or was skipped), else 503 (as goss serve), the body the round's results in a check format
//     (report.CheckFormats): ?format=NAME, else the Accept header
//     (application/json, application/xml or application/junit+xml for
//     junit, application/x-ndjson for jsonl, text/plain for text, and
//     goss's application/vnd.goss-NAME), else the server's default format.
//     ?host=NAME answers for that one host (404 when it is not checked).
//   - /metrics: the round's results in Prometheus's text exposition format
//     (report's prometheus check format), always 200.
//
// A request finding results older than the cache duration runs a new
// round; requests arriving meanwhile wait for it and share it, so there is
// never more than one round in flight. A round belongs to the server, not
// to the request that started it: a client going away does not cancel it.
package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/remotectl/remotectl/internal/errkind"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/report"
)

// DefaultCache is how long a round's results are served again, as goss
// serve's --cache default.
const DefaultCache = 5 * time.Second

// shutdownGrace bounds how long a stopping server waits for the requests
// in progress (a round among them).
const shutdownGrace = 10 * time.Second

// Round runs the checks of every target once and returns their events,
// as remote.Runner.Run does (the channel is closed after the last one).
type Round func(ctx context.Context) <-chan remote.Event

// Server answers health requests with the results of the latest round.
type Server struct {
	Targets []remote.Target
	// Round runs a round; when nil, a round is Runner running Job on
	// Targets.
	Round  Round
	Runner *remote.Runner
	Job    remote.Job
	Cache  time.Duration // 0 means DefaultCache; a round younger than this is served again
	Format string        // the format when a request names none ("" is text)
	Log    io.Writer     // where it serves, and one line per round; nil for none

	now func() time.Time // tests

	mu     sync.Mutex // held while a round runs: one at a time
	base   context.Context
	last   []remote.Event
	at     time.Time // when last's round ended
	rounds int
}

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// Handler returns the server's endpoints. Rounds run under ctx.
func (s *Server) Handler(ctx context.Context) http.Handler {
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.health)
	mux.HandleFunc("/metrics", s.metrics)
	return mux
}

// ListenAndServe serves on addr until ctx is done, then stops accepting,
// lets the requests in progress finish (for up to 10s) and returns nil.
// ready, when not nil, is called with the address listened on.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	if s.Cache < 0 {
		return errkind.Usage{Err: errors.New("--cache must not be negative")}
	}
	if _, err := report.ParseCheckFormat(s.Format); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{Handler: s.Handler(ctx), ReadHeaderTimeout: 10 * time.Second}
	if s.Log != nil {
		fmt.Fprintf(s.Log, "remotectl: serving http://%s/healthz and /metrics\n", ln.Addr())
	}
	if ready != nil {
		ready(ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: stopping: %w", err)
	}
	<-done
	return nil
}

// results returns the events of a round no older than the cache duration,
// running one when there is none.
func (s *Server) results() []remote.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.Cache
	if ttl == 0 {
		ttl = DefaultCache
	}
	if s.last != nil && s.clock().Sub(s.at) < ttl {
		return s.last
	}
	ctx := s.base
	if ctx == nil {
		ctx = context.Background()
	}
	start := s.clock()
	round := s.Round
	if round == nil {
		round = func(ctx context.Context) <-chan remote.Event { return s.Runner.Run(ctx, s.Targets, s.Job) }
	}
	var events []remote.Event
	for ev := range round(ctx) {
		events = append(events, ev)
	}
	s.last, s.at = events, s.clock()
	s.rounds++
	if s.Log != nil {
		fmt.Fprintf(s.Log, "remotectl: serve: round %d checked %d hosts in %s\n", s.rounds, len(s.Targets), s.at.Sub(start).Round(time.Millisecond))
	}
	return events
}

// health answers /healthz.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if !allowed(w, r) {
		return
	}
	format, ctype, err := s.negotiate(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	targets, events, ok := s.forHost(r.URL.Query().Get("host"), s.results())
	if !ok {
		http.Error(w, fmt.Sprintf("no such host: %q is not checked by this server", r.URL.Query().Get("host")), http.StatusNotFound)
		return
	}
	var body bytes.Buffer
	sum, err := render(&body, format, targets, events)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	code := http.StatusServiceUnavailable
	if healthy(sum) {
		code = http.StatusOK
	}
	reply(w, r, code, ctype, body.Bytes())
}

// healthy reports whether every host was checked and every property of
// each passed (or was skipped): a host cancelled or never started is not.
func healthy(sum *report.CheckSummary) bool {
	return len(sum.Hosts) > 0 && sum.HostsOK == len(sum.Hosts)
}

// metrics answers /metrics.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if !allowed(w, r) {
		return
	}
	var body bytes.Buffer
	if _, err := render(&body, report.FormatPrometheus, s.Targets, s.results()); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(w, r, http.StatusOK, contentType(report.FormatPrometheus), body.Bytes())
}

func allowed(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "only GET and HEAD", http.StatusMethodNotAllowed)
	return false
}

func reply(w http.ResponseWriter, r *http.Request, code int, ctype string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// forHost returns the targets and events of one host (all when host is
// ""), the events renumbered for the one target.
func (s *Server) forHost(host string, events []remote.Event) ([]remote.Target, []remote.Event, bool) {
	if host == "" {
		return s.Targets, events, true
	}
	i := slices.IndexFunc(s.Targets, func(t remote.Target) bool { return t.Name == host })
	if i < 0 {
		return nil, nil, false
	}
	targets := []remote.Target{s.Targets[i]}
	var out []remote.Event
	for _, ev := range events {
		if ev.Index == i {
			ev.Index, ev.Target = 0, &targets[0]
			out = append(out, ev)
		}
	}
	return targets, out, true
}

// render writes a round's events in format.
func render(w io.Writer, format string, targets []remote.Target, events []remote.Event) (*report.CheckSummary, error) {
	ch := make(chan remote.Event, len(events))
	for _, ev := range events {
		ch <- ev
	}
	close(ch)
	return report.RenderChecks(ch, targets, report.CheckOptions{Format: format, Out: w})
}

// negotiate picks a request's format: ?format=, else the Accept header's
// best known media type, else the server's format. It returns the format
// and the response's content type.
func (s *Server) negotiate(r *http.Request) (format, ctype string, err error) {
	if f := r.URL.Query().Get("format"); f != "" {
		name, err := report.ParseCheckFormat(f)
		if err != nil {
			return "", "", err
		}
		return name, contentType(name), nil
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		if f := mediaFormat(mt); f != "" && q > bestQ {
			best, bestQ, ctype = f, q, contentType(f)
			if strings.HasPrefix(mt, gossMediaPrefix) {
				ctype = mt // goss answers with the type asked for
			}
		}
	}
	if best != "" {
		return best, ctype, nil
	}
	name, err := report.ParseCheckFormat(s.Format)
	if err != nil {
		return "", "", err
	}
	return name, contentType(name), nil
}

// gossMediaPrefix is goss serve's media type for its formats.
const gossMediaPrefix = "application/vnd.goss-"

// mediaFormat returns the check format of a media type, or "".
func mediaFormat(mt string) string {
	switch mt {
	case "application/json", "text/json":
		return report.FormatJSON
	case "application/x-ndjson", "application/jsonl":
		return report.FormatJSONL
	case "application/xml", "text/xml", "application/junit+xml":
		return report.FormatJUnit
	case "text/plain":
		return report.FormatText
	}
	if name, ok := strings.CutPrefix(mt, gossMediaPrefix); ok {
		switch name {
		case "documentation", "rspecish", "silent":
			return report.FormatText
		case "structured":
			return report.FormatJSON
		}
		if f, err := report.ParseCheckFormat(name); err == nil {
			return f
		}
	}
	return ""
}

// contentType is the media type a format is served as.
func contentType(format string) string {
	switch format {
	case report.FormatJSON:
		return "application/json"
	case report.FormatJSONL:
		return "application/x-ndjson"
	case report.FormatJUnit:
		return "application/xml; charset=utf-8"
	case report.FormatPrometheus:
		return "text/plain; version=0.0.4; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}
