// Package iostreams holds the terminal I/O of one remotectl run (gh's
// pkg/iostreams): the standard streams, whether each is a terminal, its
// width, the environment and the secret prompt. Commands get them
// injected, so tests see both TTY and non-TTY behaviour.
package iostreams

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// Streams are the terminal I/O of one run.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
	InTTY    bool // stdin is a terminal: prompting is allowed
	OutTTY   bool // stdout is a terminal: colours and progress may be used
	ErrTTY   bool
	// Width is the number of columns of the terminal stdout is, 0 when it
	// is not one (pipes and files get whole lines).
	Width int
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
	// ReadSecret prompts on the terminal and reads a line without echo. Nil
	// when there is no terminal: remotectl then never prompts.
	ReadSecret func(prompt string) (string, error)
	// Ask prompts on the terminal and reads a line, echoed or not (play's
	// pause and vars_prompt). Nil when there is no terminal.
	Ask func(prompt string, echo bool) (string, error)
}

// System returns the streams of the process.
func System() *Streams {
	s := &Streams{
		In:         os.Stdin,
		Out:        os.Stdout,
		Err:        os.Stderr,
		InTTY:      term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY:     term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY:     term.IsTerminal(int(os.Stderr.Fd())),
		Getenv:     os.Getenv,
		ReadSecret: ttySecretReader(),
	}
	if s.ReadSecret != nil {
		s.Ask = func(prompt string, echo bool) (string, error) {
			if !echo {
				return s.ReadSecret(prompt)
			}
			fmt.Fprint(os.Stderr, prompt)
			return readLine(os.Stdin)
		}
	}
	if s.OutTTY {
		s.Width = terminalWidth(int(os.Stdout.Fd()), os.Getenv)
	}
	return s
}

// terminalWidth returns the width of the terminal fd, else $COLUMNS, else
// 80.
func terminalWidth(fd int, getenv func(string) string) int {
	if w, _, err := term.GetSize(fd); err == nil && w > 0 {
		return w
	}
	if w, err := strconv.Atoi(getenv("COLUMNS")); err == nil && w > 0 {
		return w
	}
	return 80
}

// ttySecretReader returns a prompt function on the controlling terminal, or
// nil when stdin is not a terminal (cron, CI, pipes).
func ttySecretReader() func(string) (string, error) {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return nil
	}
	return func(prompt string) (string, error) {
		fmt.Fprint(os.Stderr, prompt)
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
}

// ColorEnabled decides colours by the --color setting: always and never as
// they say; auto when stdout is a terminal, NO_COLOR is unset and TERM is
// not "dumb".
func (s *Streams) ColorEnabled(setting string) bool {
	switch setting {
	case "always":
		return true
	case "never":
		return false
	}
	return s.OutTTY && s.Getenv("NO_COLOR") == "" && s.Getenv("TERM") != "dumb"
}

// readLine reads one line byte by byte (nothing past it is consumed),
// without its line ending.
func readLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 && b[0] != '\n' {
			line = append(line, b[0])
		}
		if n == 1 && b[0] == '\n' || err == io.EOF && len(line) > 0 {
			return strings.TrimSuffix(string(line), "\r"), nil
		}
		if err != nil {
			return "", err
		}
	}
}
