package remote

import (
	"context"
	"time"
)

// Stream identifies where output came from.
type Stream uint8

const (
	Stdout Stream = 1
	Stderr Stream = 2
)

func (s Stream) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// EventKind says what an Event reports.
type EventKind uint8

const (
	EventStart  EventKind = iota + 1 // the host's job started (connecting)
	EventOutput                      // output lines arrived
	EventDone                        // the host finished; Result/Err are final
	// EventNote is something the host's job reports as it goes (HostIO.Note):
	// Detail holds it, in a type the job and its reader agree on (a
	// playbook's task results and task starts). Notes come between the
	// host's EventStart and EventDone, in the order the job sent them.
	EventNote
)

// Event is what the Runner delivers, on one channel, to one reader. For each
// host that starts, EventStart comes first, EventDone last, output in between
// in order. A host that never started (the run was interrupted first) gets
// only an EventDone, with a ClassCancelled error whose Op is OpStart.
type Event struct {
	Kind   EventKind
	Index  int     // index of the host in the targets slice given to the Runner
	Target *Target // the host
	Time   time.Time

	// EventOutput: Data holds one or more complete lines, each ending in '\n',
	// except the final chunk of a stream when the output did not end with a
	// newline, and chunks of an overlong line (see MaxLine). Data is owned by
	// the receiver.
	Stream Stream
	Data   []byte

	// EventDone.
	Result Result
	Err    error // nil when the command ran to completion (any exit code)

	// EventNote: what the job reported. Owned by the receiver once sent.
	Detail any
}

// HostIO is what a job writes a host's output to. The writers split output
// into lines and send them as EventOutput events.
type HostIO struct {
	Target         *Target // the host the job runs on (its Vars, name)
	Stdout, Stderr interface{ Write([]byte) (int, error) }
	// Note sends detail as an EventNote of the host (an unfinished output
	// line still held back is not sent first). It blocks while the event reader is busy, and
	// returns false, sending nothing, once the host has been reported done
	// (a job that went on after it was abandoned). Nil outside a Runner.
	Note func(detail any) bool
}

// Job is the work done on one host over its (single, reused) transport.
type Job func(ctx context.Context, t Transport, io HostIO) (Result, error)
