package ansiblecli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/remotectl/remotectl/internal/errkind"
)

// Options are remotectl play's options that are ansible-playbook's, with
// its names and letters.
type Options struct {
	ExtraVars   []string
	Tags        []string
	SkipTags    []string
	StartAtTask string
	Check       bool
	Diff        bool
	SyntaxCheck bool
	List        List
	Ansible     Flags
}

// Help documents the options of Options for play's --help.
const Help = `ansible-playbook's options: -i (repeatable; a comma list "web1,web2," as well),
-l, -t, --skip-tags, --start-at-task, -C, -D, -e, -b, --become-user, -K, -u, -k,
--private-key, -f, -v, --step, --syntax-check, --list-hosts, --list-tasks, --list-tags. -u,
--private-key and -b apply where a host's inventory says nothing, as in Ansible.
--become-method is sudo (the default) or su.
--syntax-check stops after validation; the --list-* options print what would run,
in ansible-playbook's layout. --flush-cache and --force-handlers are refused.

--check runs the tasks in check mode (nothing is changed); with -v it prints the plan
first (batches, tasks per host, when: evaluated where it can be).

Ansible Vault files and !vault values are decrypted in memory with the secrets of
--vault-id, --vault-password-file (a file, or an executable printing the password),
-J (a terminal) and ansible.cfg's vault_password_file; what they decrypt is secret.

ansible.cfg is read as Ansible finds it (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg,
/etc/ansible/ansible.cfg) for inventory, roles_path, forks, remote_user, timeout,
private_key_file, vault_password_file, vault_identity_list, ask_vault_pass, ask_pass,
host_key_checking, gathering and [privilege_escalation]; their ANSIBLE_* variables override it, the command line and
remotectl's settings override both. Other keys are warned about. host_key_checking =
False does not turn host key checking off (see --host-key-policy).`

// AddFlags defines the flags of o on fl, and hidden ones for the options
// that are refused (see Refused).
func AddFlags(fl *pflag.FlagSet, o *Options) {
	a := &o.Ansible
	fl.StringArrayVarP(&o.ExtraVars, "extra-vars", "e", nil, "set variables: KEY=VALUE, @FILE (YAML/JSON) or a JSON mapping (repeatable; highest precedence)")
	fl.StringSliceVarP(&o.Tags, "tags", "t", nil, "run only the tasks with these tags (and those tagged always)")
	fl.StringSliceVar(&o.SkipTags, "skip-tags", nil, "skip the tasks with these tags")
	fl.StringVar(&o.StartAtTask, "start-at-task", "", "start at the first task with this name")
	fl.BoolVarP(&o.Check, "check", "C", false, "check mode: change nothing, report what would change")
	fl.BoolVarP(&o.Diff, "diff", "D", false, "show the differences in the files tasks change")
	fl.BoolVar(&o.SyntaxCheck, "syntax-check", false, "validate the playbook and stop")
	fl.BoolVar(&o.List.Hosts, "list-hosts", false, "list the hosts each play would run on, and stop")
	fl.BoolVar(&o.List.Tasks, "list-tasks", false, "list the tasks that would run, and stop")
	fl.BoolVar(&o.List.Tags, "list-tags", false, "list the tags of the tasks that would run, and stop")
	fl.BoolVar(&a.Step, "step", false, "ask before each task: (N)o/(y)es/(c)ontinue (a terminal only; strategy linear)")
	fl.BoolVarP(&a.Become, "become", "b", false, "run the tasks with sudo (where the inventory does not say)")
	fl.StringVar(&a.BecomeUser, "become-user", "", "the user to become (default root)")
	fl.StringVar(&a.BecomeMethod, "become-method", "", "how to become another user: sudo (the default) or su")
	fl.BoolVarP(&a.AskBecomePass, "ask-become-pass", "K", false, "prompt once for the become (sudo or su) password (needs a terminal)")
	fl.StringVarP(&a.User, "user", "u", "", "the login user of hosts whose inventory names none")
	fl.BoolVarP(&a.AskPass, "ask-pass", "k", false, "prompt once for the login password (needs a terminal)")
	fl.StringVar(&a.PrivateKey, "private-key", "", "the private key of hosts whose inventory names none")
	fl.StringArrayVar(&a.VaultIDs, "vault-id", nil, "a vault secret: [LABEL@]FILE or [LABEL@]prompt (repeatable)")
	fl.StringArrayVar(&a.VaultPasswordFiles, "vault-password-file", nil, "a file holding the vault password, or an executable printing it (repeatable)")
	fl.BoolVarP(&a.AskVaultPass, "ask-vault-pass", "J", false, "prompt for the vault password (needs a terminal)")
	for name, why := range Unsupported() {
		fl.Bool(name, false, "refused: "+why)
		_ = fl.MarkHidden(name)
	}
}

// Refused returns a usage error for an ansible-playbook option of fl that
// remotectl does not implement.
func Refused(fl *pflag.FlagSet) error {
	for name, why := range Unsupported() {
		if fl.Changed(name) {
			return errkind.Usage{Err: fmt.Errorf("--%s is not supported: %s", name, why)}
		}
	}
	return nil
}

// Unsupported are ansible-playbook's options remotectl play refuses, with
// why: accepting them would run differently from Ansible.
func Unsupported() map[string]string {
	return map[string]string{
		"flush-cache":    "remotectl keeps no fact cache between runs, so there is nothing to flush",
		"force-handlers": "remotectl does not run the handlers of a host that failed",
	}
}
