package checks

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary check files to Parse: it must never panic, and
// what it accepts must be well formed and renderable for any host.
func FuzzParse(f *testing.F) {
	f.Add([]byte(gossFile))
	f.Add([]byte("hosts: web\nport:\n  \"tcp:{{ .Vars.port }}\": {listening: true, ip: [0.0.0.0]}\n"))
	f.Add([]byte("http:\n  http://{{ .Host.Name }}/: {status: {or: [200, 301]}, body: [\"/ok$/\", \"!fail\"]}\n"))
	f.Add([]byte("file:\n  /etc/x: {contents: {and: [{contain-element: {match-regexp: a}}, {not: [b]}]}}\n"))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Add([]byte("port:\n  tcp:22: &p {listening: true}\n  tcp:23: *p\n"))
	f.Add([]byte("dns:\n  PTR:192.0.2.1: {server: 127.0.0.1, addrs: {consist-of: [a.]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, c := range s.Checks {
			if specs := countSpecs(c); specs != 1 {
				t.Fatalf("check %s %q has %d specs", c.Type, c.ID, specs)
			}
			if len(c.Properties()) == 0 && !c.Skip {
				t.Fatalf("check %s %q checks nothing", c.Type, c.ID)
			}
		}
		rendered, _ := s.For(HostInfo{Name: "h", Vars: map[string]any{"port": 22}}, s.Checks)
		for _, c := range rendered {
			if countSpecs(c) != 1 {
				t.Fatalf("rendered check %s %q is malformed", c.Type, c.ID)
			}
		}
	})
}

func countSpecs(c *Check) int {
	n := 0
	for _, set := range []bool{c.Port != nil, c.Addr != nil, c.HTTP != nil, c.DNS != nil, c.Service != nil,
		c.Process != nil, c.Package != nil, c.File != nil, c.User != nil, c.Group != nil, c.Command != nil,
		c.KernelParam != nil, c.Mount != nil, c.TLS != nil} {
		if set {
			n++
		}
	}
	return n
}

// FuzzProbeParsers feeds arbitrary output to every probe parser: a host's
// output is not trusted to be well formed.
func FuzzProbeParsers(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "probes", "*.*"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tc := range probeCases() {
			_, _ = tc.parse(data)
		}
		_ = splitSections(data, "00112233aabbccdd")
	})
}

// FuzzDNSAnswers feeds arbitrary messages to the DNS answer parser.
func FuzzDNSAnswers(f *testing.F) {
	f.Add([]byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1, 0xC0, 12, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 192, 0, 2, 1})
	f.Add([]byte{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 15, 0, 1, 0xC0, 17, 0, 15, 0, 1, 0, 0, 0, 0, 0, 4, 0, 10, 0xC0, 0x1F})
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, qtype := range dnsTypeCodes {
			_, _ = parseAnswers(msg, 0x1234, qtype)
		}
	})
}
