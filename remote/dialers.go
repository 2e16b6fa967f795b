package remote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
)

// NewDialerFunc makes the dialer of one transport kind; stop, when not
// nil, releases what the dialer holds (shared bastion connections).
type NewDialerFunc func() (d Dialer, stop func() error, err error)

// Dialers dispatches each target to the dialer of its transport kind
// (Target.Transport; "" is KindSSH). Each kind's dialer is made on first
// use, so a run over local hosts never reads ~/.ssh.
type Dialers struct {
	kinds map[string]*lazyDialer
}

// NewDialers returns the dialers of the kinds of makers.
func NewDialers(makers map[string]NewDialerFunc) *Dialers {
	d := &Dialers{kinds: make(map[string]*lazyDialer, len(makers))}
	for kind, make := range makers {
		d.kinds[kind] = &lazyDialer{make: make}
	}
	return d
}

type lazyDialer struct {
	once sync.Once
	make NewDialerFunc
	d    Dialer
	stop func() error
	err  error
}

// Get returns the dialer of kind, made on the first call.
func (d *Dialers) Get(kind string) (Dialer, error) {
	l, ok := d.kinds[cmp.Or(kind, KindSSH)]
	if !ok {
		return nil, fmt.Errorf("unknown transport %q", kind)
	}
	l.once.Do(func() { l.d, l.stop, l.err = l.make() })
	return l.d, l.err
}

// Dial dials t with the dialer of its transport.
func (d *Dialers) Dial(ctx context.Context, t Target) (Transport, error) {
	kind := cmp.Or(t.Transport, KindSSH)
	if _, ok := d.kinds[kind]; !ok {
		return nil, &Error{Class: ClassOther, Op: "dial", Err: fmt.Errorf("unknown transport %q", t.Transport)}
	}
	td, err := d.Get(kind)
	if err != nil {
		return nil, &Error{Class: ClassOther, Op: kind + " setup", Err: err}
	}
	return td.Dial(ctx, t)
}

// Close releases what the dialers made hold.
func (d *Dialers) Close() error {
	var errs []error
	for _, l := range d.kinds {
		if l.stop != nil {
			errs = append(errs, l.stop())
		}
	}
	return errors.Join(errs...)
}
