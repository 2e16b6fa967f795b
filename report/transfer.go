package report

import (
	"fmt"
	"io"
	"sync"

	"github.com/remotectl/remotectl/nodeset"
	"github.com/remotectl/remotectl/remote"
)

// TransferLog tells what each host's transfer did. In text mode, each line
// is written once, after the run, with the hosts it is true for: "copied
// big.bin to /tmp/x: web[01-20]"; otherwise it is the host's output.
type TransferLog struct {
	fold  bool
	mu    sync.Mutex
	order []string            // lines, as first said
	lines map[string][]string // line → hosts
}

// Say records line for the host; folded is the same line for every host
// it is true for (fetch names the host's directory "<host>").
func (l *TransferLog) Say(hio remote.HostIO, line, folded string) {
	if !l.fold {
		fmt.Fprintln(hio.Stdout, line)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, seen := l.lines[folded]; !seen {
		l.order = append(l.order, folded)
	}
	l.lines[folded] = append(l.lines[folded], hio.Target.Name)
}

// Write writes the folded lines.
func (l *TransferLog) Write(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.order {
		fmt.Fprintf(w, "%s: %s\n", line, nodeset.Fold(l.lines[line]))
	}
}

// NewTransferLog returns the log of a transfer; fold: text output, where
// each line is written once, after the run.
func NewTransferLog(fold bool) *TransferLog {
	return &TransferLog{fold: fold, lines: map[string][]string{}}
}
