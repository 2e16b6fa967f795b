package ops

import (
	"context"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/inventory"
)

// BeginWithInventory begins the run (see Begin) with load loading the
// inventory under the run's context; every secret of the inventory is
// masked from then on. Call Close when the command ends, whatever this
// returned.
func (r *Run) BeginWithInventory(ctx context.Context, load func(context.Context) (*inventory.Inventory, error)) (context.Context, *inventory.Inventory, error) {
	var inv *inventory.Inventory
	runCtx, err := r.Begin(ctx, func(ctx context.Context) error {
		var err error
		if inv, err = load(ctx); err == nil {
			r.Secrets().Add(inventory.SecretsOf(inv.Hosts(), r.d.Getenv)...)
		}
		return err
	})
	return runCtx, inv, err
}

// MaskCheckResults masks the run's secrets in a host's check results, in
// place: a check's templates may have put a secret variable in its id, its
// expected value or a command, and a command may print it.
func (r *Run) MaskCheckResults(res []checks.Result) {
	m := r.Secrets()
	if m.Empty() {
		return
	}
	for i := range res {
		c := &res[i]
		for _, s := range []*string{&c.ID, &c.Title, &c.Property, &c.Expected, &c.Actual, &c.Message} {
			*s = m.Redact(*s)
		}
	}
}
