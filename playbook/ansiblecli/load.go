package ansiblecli

import (
	"io"

	"github.com/remotectl/remotectl/internal/errkind"
	"github.com/remotectl/remotectl/internal/omap"
	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/playbook"
)

// Load is what loading a playbook for a run takes.
type Load struct {
	File   string
	Cwd    string // -e @FILE is relative to it
	Getenv func(string) string
	*Options
	Settings Settings
	// Secrets receives the secret values of -e, of the playbook and of what
	// it decrypts; it is the playbook's Secrets.
	Secrets *playbook.Secrets
}

// Playbook reads -e and the playbook, validated against inv, and checks
// --tags and --skip-tags. Every error is invalid input (errkind.Input).
func (l Load) Playbook(inv *inventory.Inventory) (*playbook.Playbook, map[string]any, error) {
	pb, extra, err := l.playbook(inv)
	if err != nil {
		return nil, nil, errkind.Input{Err: err}
	}
	return pb, extra, nil
}

// Plans selects each play's hosts (hosts and limit are patterns) and tasks
// (--tags, --skip-tags, --start-at-task); errors are usage errors.
func (l Load) Plans(pb *playbook.Playbook, inv *inventory.Inventory, hosts, limit string) ([]*playbook.PlayPlan, error) {
	plans, err := playbook.Prepare(pb, inv, playbook.Selection{
		Hosts: hosts, Limit: limit, Tags: l.Tags, SkipTags: l.SkipTags, StartAtTask: l.StartAtTask,
	})
	if err != nil {
		return nil, errkind.Usage{Err: err}
	}
	return plans, nil
}

// Inspect is --syntax-check and the --list-* options: the playbook is
// loaded and validated against inv, what was asked is written to w,
// nothing runs.
func (l Load) Inspect(w io.Writer, inv *inventory.Inventory, hosts, limit string) error {
	pb, _, err := l.Playbook(inv)
	if err != nil {
		return err
	}
	if !l.List.Any() {
		return WriteSyntaxOK(w, l.File)
	}
	all := *l.Options // ansible-playbook lists every task whatever --start-at-task says
	all.StartAtTask = ""
	l.Options = &all
	plans, err := l.Plans(pb, inv, hosts, limit)
	if err != nil {
		return err
	}
	return l.List.Write(w, l.File, plans)
}

// playbook loads -e and the playbook.
func (l Load) playbook(inv *inventory.Inventory) (*playbook.Playbook, map[string]any, error) {
	extra, err := playbook.ParseExtraVars(l.ExtraVars, l.Cwd)
	if err != nil {
		return nil, nil, err
	}
	l.Secrets.Add(inventory.SecretValues(omap.PlainMap(extra))...) // nested dicts ordered: plain for the walk
	pb, err := playbook.Load(l.File, playbook.LoadOptions{
		Secrets: l.Secrets,
		// An empty variable counts as unset: a secret is never empty.
		LookupEnv: func(name string) (string, bool) {
			v := l.Getenv(name)
			return v, v != ""
		},
		RolesPath: l.Settings.RolesPath,
		Decrypt:   l.Settings.Decrypter(l.Secrets),
	})
	if err != nil {
		return nil, nil, err
	}
	if err := pb.CheckTags(l.File, l.Tags, l.SkipTags); err != nil {
		return nil, nil, err
	}
	return pb, extra, nil
}
