package report

import (
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// hostile is output that would drive a terminal if shown raw: a colour
// change, an OSC window title, BEL, a carriage return overwriting the line,
// a C1 CSI, DEL, invalid UTF-8 and a cursor movement, with a Windows line
// end and a tab that must stay.
const hostile = "\x1b[31mred\x1b[0m\x1b]0;pwned\a title\rover\u009b2J\x7f \xff\xc3(\tend\r\nnext\x1b[2A\n"

func TestTextEscapesControls(t *testing.T) {
	s := newScript("h").start(0, 0).out(0, 1, hostile).errOut(0, 2, "e\x1b]52;c;aGk=\a\n").
		done(0, 3, remote.Result{ExitCode: 1}, nil)
	for _, tt := range []struct {
		name    string
		opts    Options
		out     string
		errHead string
	}{
		{"text", Options{},
			`h | \x1b[31mred\x1b[0m\x1b]0;pwned\a title\rover\u009b2J\x7f \xff\xc3(` + "\tend\n" + `h | next\x1b[2A` + "\n",
			`h ! e\x1b]52;c;aGk=\a` + "\n"},
		{"grouped", Options{Format: FormatGrouped},
			"== h (exit 1, 0.00s) ==\n" + `\x1b[31mred\x1b[0m\x1b]0;pwned\a title\rover\u009b2J\x7f \xff\xc3(` + "\tend\n" + `next\x1b[2A` + "\n-- stderr --\n" + `e\x1b]52;c;aGk=\a` + "\n",
			"exit 1: h\n"},
		{"coalesce", Options{Format: FormatCoalesce},
			"== h (exit 1) ==\n" + `\x1b[31mred\x1b[0m\x1b]0;pwned\a title\rover\u009b2J\x7f \xff\xc3(` + "\tend\n" + `next\x1b[2A` + "\n-- stderr --\n" + `e\x1b]52;c;aGk=\a` + "\n",
			"exit 1: h\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, out, errOut := s.render(t, tt.opts)
			if out != tt.out {
				t.Errorf("stdout = %q;\nwant     %q", out, tt.out)
			}
			if !strings.HasPrefix(errOut, tt.errHead) {
				t.Errorf("stderr = %q; want it to start with %q", errOut, tt.errHead)
			}
		})
	}
}

func TestErrorMessagesEscaped(t *testing.T) {
	err := remote.Errorf(remote.ClassAuth, "auth", "banner: \x1b]0;x\a\x9b")
	_, _, errOut := newScript("h").start(0, 0).done(0, 1, remote.Result{}, err).render(t, Options{})
	if strings.ContainsAny(errOut, "\x1b\a") || !strings.Contains(errOut, `banner: \x1b]0;x\a\x9b`) {
		t.Errorf("stderr = %q; want the message escaped", errOut)
	}
}

func TestTextStderrOnErr(t *testing.T) {
	s := newScript("h").start(0, 0).out(0, 1, "out\n").errOut(0, 2, "err\n").done(0, 3, remote.Result{}, nil)
	_, out, errOut := s.render(t, Options{})
	if out != "h | out\n" {
		t.Errorf("stdout = %q; want only the standard output lines", out)
	}
	if !strings.HasPrefix(errOut, "h ! err\n") {
		t.Errorf("stderr = %q; want the standard error lines first", errOut)
	}
}

func TestQuietShowsFailingHosts(t *testing.T) {
	s := newScript("ok", "bad").start(0, 0).start(1, 0).
		out(0, 1, "fine\n").out(1, 2, "why 1\n").errOut(1, 3, "why 2\n").out(1, 4, "cut").
		done(0, 5, remote.Result{}, nil).done(1, 6, remote.Result{ExitCode: 2}, nil)
	_, out, errOut := s.render(t, Options{Quiet: true})
	if want := "bad | why 1\nbad | cut\n"; out != want {
		t.Errorf("stdout = %q; want %q: the failing host's output only", out, want)
	}
	if want := "bad ! why 2\nexit 2: bad\n"; !strings.HasPrefix(errOut, want) {
		t.Errorf("stderr = %q; want it to start with %q", errOut, want)
	}
}

func TestQuietKeepsTheEnd(t *testing.T) {
	s := newScript("h").start(0, 0)
	line := strings.Repeat("x", 99) + "\n"
	for range 1000 { // 100,000 bytes
		s.out(0, 1, line)
	}
	s.out(0, 1, "the reason\n").done(0, 2, remote.Result{ExitCode: 1}, nil)
	_, out, _ := s.render(t, Options{Quiet: true})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	kept := (quietTail - len("the reason\n")) / len(line)
	if len(lines) != kept+2 {
		t.Fatalf("%d lines shown; want %d (a note, %d kept lines, the last)", len(lines), kept+2, kept)
	}
	wantNote := "h | … 83700 bytes before not shown"
	if lines[0] != wantNote || lines[1] != "h | "+line[:99] || lines[len(lines)-1] != "h | the reason" {
		t.Errorf("lines = %q ... %q; want %q, whole lines, then the last", lines[:2], lines[len(lines)-1], wantNote)
	}
}

func TestQuietTailCutsInsideALine(t *testing.T) {
	var q tail
	q.add([]byte(strings.Repeat("é", quietTail))) // 2 bytes each, no newline
	if q.dropped != quietTail || len(q.data) != quietTail || !q.midLine {
		t.Errorf("dropped %d, kept %d, midLine %v; want %d, %d, true", q.dropped, len(q.data), q.midLine, quietTail, quietTail)
	}
	s := newScript("h").start(0, 0).out(0, 1, "a\n"+strings.Repeat("é", quietTail)).done(0, 2, remote.Result{ExitCode: 1}, nil)
	_, out, _ := s.render(t, Options{Quiet: true})
	if !strings.HasPrefix(out, "h | … 16386 bytes before not shown\nh | ↪éé") {
		t.Errorf("stdout starts %q; want the note, then the rest of the line marked as continued", out[:60])
	}
}

func TestShownNames(t *testing.T) {
	targets := []remote.Target{{Name: "web01"}, {Name: "db-primary-replica-eu-west-1a.example.com"}, {Name: "数据库服务器一号机房"}, {Name: "bad\x1bname"}}
	for _, tt := range []struct {
		width int
		names []string
		max   int
	}{
		{0, []string{"web01", "db-primary-replica-eu-west-1a.example.com", "数据库服务器一号机房", `bad\x1bname`}, 41},
		{80, []string{"web01", "db-primary-….example.com", "数据库服务器一号机房", `bad\x1bname`}, 24},
		{60, []string{"web01", "db-primary-….example.com", "数据库服务器一号机房", `bad\x1bname`}, 24},
		{120, []string{"web01", "db-primary-rep…-1a.example.com", "数据库服务器一号机房", `bad\x1bname`}, 30},
	} {
		names, widest := shownNames(targets, tt.width)
		if strings.Join(names, "|") != strings.Join(tt.names, "|") || widest > tt.max {
			t.Errorf("width %d: names %q (widest %d); want %q (at most %d)", tt.width, names, widest, tt.names, tt.max)
		}
	}
}

func TestShownNamesStayApart(t *testing.T) {
	targets := []remote.Target{{Name: "app-eu-west-1-server01-a.example.com"}, {Name: "app-eu-west-1-server02-a.example.com"}, {Name: "app-eu-west-1-server03-long.example.com"}}
	names, _ := shownNames(targets, 80)
	want := []string{"app-eu-west-1-server01…m", "app-eu-west-1-server02…m", "app-eu-west-1-server03…m"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("names = %q; want %q: shortened names must not be mistaken for each other", names, want)
	}
}

// Names that differ only in the middle keep the cap too: each keeps its
// head and the part where it differs, and they stay apart.
func TestShownNamesDifferingInTheMiddle(t *testing.T) {
	targets := []remote.Target{{Name: "prod-eu-west-1-zone-a-node01.example.com"}, {Name: "prod-eu-west-1-zone-a-node02.example.com"},
		{Name: "prod-eu-west-1-zone-b-node01.example.com"}, {Name: "web01"}}
	names, widest := shownNames(targets, 80)
	want := []string{"prod-…-node01.example.c…", "prod-…-node02.example.c…", "prod-eu-west-1-zone-b-n…", "web01"}
	if strings.Join(names, "|") != strings.Join(want, "|") || widest > 24 {
		t.Errorf("names = %q (widest %d); want %q, at most 24 cells", names, widest, want)
	}
}

func TestMiddleOutKeepsTheCap(t *testing.T) {
	for _, s := range []string{"prod-eu-west-1-zone-a-node01.example.com", "数据库服务器一号机房数据库服务器二号机房", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"} {
		for max := 3; max <= 30; max++ {
			for from := 0; from < len([]rune(s)); from++ {
				if got := middleOut(s, max, from); cells(got) > max {
					t.Fatalf("middleOut(%q, %d, %d) = %q: %d cells", s, max, from, got, cells(got))
				}
			}
		}
	}
}

func TestEllipsisCountsCells(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 24, "short"},
		{"abcdefghij", 5, "ab…ij"},
		{"数据库服务器一号", 7, "数…一号"},
		{"e\u0301e\u0301e\u0301e\u0301", 4, "e\u0301e\u0301e\u0301e\u0301"}, // combining accents take no cell
	} {
		got := ellipsis(tt.in, tt.max, tt.max/2)
		if got != tt.want || cells(got) > tt.max {
			t.Errorf("ellipsis(%q, %d) = %q (%d cells); want %q", tt.in, tt.max, got, cells(got), tt.want)
		}
	}
}
