// Package inventory loads the hosts remotectl runs on: its own YAML format,
// Ansible inventories (INI, YAML, dynamic-inventory executables) unchanged,
// node ranges ("web[01-20].example.com"), and Ansible host patterns to pick
// hosts ("web:&prod:!web03"). It is pure: it never touches the network (it
// may run a dynamic-inventory executable).
//
// # The remotectl inventory format
//
// A YAML file with up to three top-level keys; unknown keys anywhere are an
// error, with a suggestion for typos.
//
//	defaults:                      # apply to every host
//	  user: deploy
//	  connection:
//	    identity_file: ~/.ssh/id_ed25519
//	    host_key_policy: strict
//	    connect_timeout: 10s
//	  vars: { ntp_server: ntp.example.com }
//
//	hosts:                         # name (or range) -> settings; "name:" alone is fine
//	  bastion.example.com: { address: 203.0.113.10 }
//	  web[01-04].example.com:
//	    connection: { proxy_jump: bastion.example.com }
//	    vars: { http_port: 8080 }
//	  win01: { transport: winrm, port: 5986, user: Administrator, connection: { password_env: WIN_PASSWORD } }
//
//	groups:
//	  web:
//	    hosts: ["web[01-04].example.com"] # names or ranges; unknown names create hosts
//	    vars: { http_port: 80 }
//	  frontend:
//	    children: [web]                   # groups defined anywhere, in any loaded file
//	    user: www                         # group-level settings are allowed too
//
// Host keys: address (defaults to the name), port (default: the transport's),
// transport (ssh, the default; winrm; local), user, connection, vars.
// Group keys: hosts, children, vars, and user, port, transport, connection.
// defaults: user, port, transport, connection, vars. hosts: may also be a
// plain list of names.
//
// Keys of connection:
//
//	identity_file        a path or a list of paths
//	identities_only      true: use only these keys, not the agent's others
//	password_env         environment variable holding the login password
//	password             the password itself (prefer password_env)
//	proxy_jump           jump host(s), as OpenSSH's ProxyJump: "user@host:port,host2"
//	proxy_command        a command whose stdin/stdout are the connection, as OpenSSH's ProxyCommand
//	identity_agent       as OpenSSH's IdentityAgent: none, a socket path or $VAR
//	host_key_policy      strict (default), accept-new, off
//	known_hosts_file     known_hosts to use instead of ~/.ssh/known_hosts
//	connect_timeout      a Go duration ("10s", "1m30s") or a number of seconds
//	become, become_user, become_password_env   run commands through sudo
//	winrm_https          true (default) or false
//	winrm_insecure       true: skip TLS certificate verification
//	winrm_allow_unencrypted   true: allow plain HTTP without NTLM message encryption
//	winrm_message_encryption  auto (default), always, never (as Ansible's)
//	winrm_auth           basic, ntlm, certificate
//	winrm_shell          cmd, powershell
//	winrm_ca_cert, winrm_client_cert, winrm_client_key   PEM files
//
// Package inventory spells none of these: the common ones (password_env,
// password, connect_timeout, become*) come from remote.CommonSettings, the
// others from the schemas of the transports in LoadOptions.Transports
// (ssh.Settings, winrm.Settings, local.Settings), which also map the
// Ansible variables and ansible_connection values. Without them, only the
// common keys are known and transport: is not checked.
//
// # Node ranges
//
// Host names under hosts: and in a group's hosts: list may hold node ranges,
// expanded with package nodeset: "web[01-20]" (zero padding kept),
// "node[1,3,5-7]", several brackets ("rack[1-2]-n[01-16]", a cartesian
// product). In a YAML flow list a range must be quoted (["web[01-04]"]),
// since YAML reads an unquoted "[" there as a nested list; block lists
// ("- web[01-04]") and mapping keys need no quotes. Expansion is capped (LoadOptions.MaxHosts) so a typo cannot
// exhaust memory. Ansible inventories use Ansible's own syntax instead:
// "www[01:50]", "db-[a:f]", "node[01:50:2]" (a step), and "host:port".
//
// # Variable and setting precedence
//
// Every host's variables and connection settings (user, port, transport,
// connection keys) are merged from several places; a later one wins. This
// is Ansible's precedence (its VARIABLE_PRECEDENCE default), which the
// differential test (oracle_test.go) checks against ansible-inventory:
//
//  1. defaults: (our format)
//  2. the group "all", as written in the inventories
//  3. the other groups, as written in the inventories: parents before
//     children, ordered by depth (how far below "all" they are), then by
//     ansible_group_priority, then by name
//  4. group_vars/all files, directory by directory (the inventories', then
//     the playbook's, LoadOptions.PlaybookDir)
//  5. group_vars files of the other groups, directory by directory, each in
//     the order of 3: so group_vars/all beats "[web:vars]" written in the
//     inventory, as in Ansible
//  6. the host itself, as written in the inventories
//  7. host_vars files, directory by directory
//
// ansible_group_priority written in an inventory is consumed (it orders the
// group, and is no variable); in a group_vars file it is an ordinary
// variable, as in Ansible. Host.VarOrigin (or VarOrigins, for all of them)
// tells, for each variable, which place won; the text is composed when
// asked. Hosts with the same groups and no variables of their own share one
// Vars map, so never modify it. A host defined twice (in two files, or twice
// in one) merges when its settings agree; different addresses, ports,
// users, transports or connection settings are an error naming both places
// (Ansible lets the later one win silently).
//
// group_vars/NAME is found as Ansible's host_group_vars plugin finds it: the
// first of NAME, NAME.yml, NAME.yaml and NAME.json that exists; NAME may be
// a directory, whose files (with one of those extensions, or none) are read
// in name order, subdirectories where they sort, hidden files and "~"
// backups skipped. Files naming no group or host are ignored.
//
// Files encrypted with Ansible Vault (inventories, group_vars, host_vars)
// and inline !vault values are decrypted with LoadOptions.Decrypt, which
// the CLI sets from --vault-password-file; without it they are an error
// naming the file and that option.
//
// # Ansible inventories
//
// INI and YAML inventories are read as Ansible reads them: [group],
// [group:vars], [group:children], ungrouped hosts before the first section,
// "#" and ";" comments, "host key=value key2='quoted value'" where values are
// Python literals when they parse as one (5 is a number, True a boolean,
// "yes" a string) — in [group:vars] sections too, as ansible-core's own
// tests pin, whatever its documentation says. Connection variables become
// settings: ansible_host, ansible_port, ansible_user (and their ansible_ssh_
// forms), ansible_connection (ssh, paramiko, smart -> ssh; winrm, psrp ->
// winrm; local), ansible_ssh_private_key_file, ansible_password /
// ansible_ssh_pass, ansible_become, ansible_become_user, ansible_timeout,
// ansible_host_key_checking, the ssh options of ansible_ssh_common_args and
// ansible_ssh_extra_args that remotectl honours (-J, -i, -p, -l, -o ProxyJump,
// ProxyCommand, IdentityFile, IdentitiesOnly, StrictHostKeyChecking,
// UserKnownHostsFile, ConnectTimeout, Port, User; any other is a load error
// but for the connection-tuning ones it ignores, see sshArgsIgnored),
// ansible_winrm_transport (the first of basic, ntlm,
// certificate it lists), ansible_winrm_scheme,
// ansible_winrm_server_cert_validation, ansible_winrm_message_encryption,
// ansible_winrm_ca_trust_path,
// ansible_winrm_cert_pem, ansible_winrm_cert_key_pem, their ansible_psrp_
// equivalents (protocol, auth, cert_validation), and ansible_shell_type (cmd,
// powershell). They stay variables too. YAML files (inventories,
// group_vars, host_vars) are read as Ansible (PyYAML, YAML 1.1) reads
// them: yes/no/on/off are booleans, 1:30 is 90 (base 60), 017 is octal 15,
// 0b101 binary, while 1e3 and 0o17 are strings; timestamps become Python's
// isoformat text. A file that is JSON is read as JSON (1e3 is 1000.0).
// Integers beyond 64 bits become floats (Ansible keeps them exact). A value
// remotectl cannot honour (an unknown connection plugin, a Jinja template
// in ansible_host) is an error at load time rather than a surprise later.
//
// An executable file starting with "#!" is a dynamic inventory: it is run
// with --list and its JSON read as Ansible does (groups as lists or as
// {hosts, vars, children}; _meta.hostvars, or --host NAME for each host when
// _meta is missing).
//
// # Format detection
//
// An executable program is a dynamic inventory. A YAML file whose top level
// has hosts, groups or defaults is ours; one whose top-level values are all
// mappings is Ansible YAML; one with _meta is saved dynamic-inventory JSON;
// anything else is Ansible INI (a file named *.ini given with -i always
// is). A directory loads every file in it in name order (subdirectories
// where they sort), skipping what Ansible skips: hidden names, group_vars,
// host_vars and vars_plugins, and names ending in one of the default
// INVENTORY_IGNORE_EXTS: .pyc .pyo .swp .bak ~ .rpm .md .txt .rst .orig .ini
// .cfg .retry (so ec2.py runs while ec2.ini, its configuration, is not
// read). group_vars/ and host_vars/ of the directory apply. A path that does
// not exist but contains a comma is a host list ("a,b:2222,").
//
// Errors name the place ("inventory.yaml:12:5: ...") and say what is wrong.
//
// # Large inventories
//
// Loading is built for fleets of 100,000 hosts: messages, variable origins
// and per-host maps are only made when needed, and a large hosts: block of
// our format is parsed in parts, on several cores, while the parts already
// parsed are loaded, so that the YAML of the whole block never has to be in
// memory at once. Anything unusual in the block (anchors, directives, tabs)
// makes it parse whole, as smaller files always do; the result is the same.
//
// # The implicit localhost
//
// With no inventory at all, the host "localhost" exists: it is the
// controller itself (transport local), with no variables, no connection
// settings and no groups, and "all" (the default pattern) is just it. An
// inventory has only the hosts it defines: one that defines none selects
// nothing (ErrNoHosts), so a command never falls back to the controller, and
// "localhost" must be defined (e.g. with transport: local) to be used.
//
// # Host patterns
//
// See Inventory.Select and Inventory.SelectAnsible.
package inventory
