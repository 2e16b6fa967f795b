package checks

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// probeCase parses one captured probe output (testdata/probes/FILE) and
// compares the result, as JSON, with testdata/probes/GOLDEN.golden.
type probeCase struct {
	file   string
	golden string // defaults to file without its extension
	parse  func(data []byte) (any, error)
}

func wrap[T any](f func([]byte) (T, error)) func([]byte) (any, error) {
	return func(b []byte) (any, error) { return f(b) }
}

func probeCases() []probeCase {
	procNet := func(network string) func([]byte) (any, error) {
		return func(b []byte) (any, error) { return parseProcNet(network, b) }
	}
	pkg := func(name string) func([]byte) (any, error) {
		return func(b []byte) (any, error) { return parsePackage(name, b) }
	}
	mount := func(mp string) func([]byte) (any, error) {
		return func(b []byte) (any, error) {
			m, found, err := parseMountinfo(mp, b)
			return map[string]any{"found": found, "mount": m}, err
		}
	}
	text := func(b []byte) (any, error) { return string(b), nil }
	names := func(b []byte) (any, error) { return parseProcessNames(b), nil }
	ahosts := func(b []byte) (any, error) { return parseAhosts(b), nil }
	winDNS := func(qtype string) func([]byte) (any, error) {
		return func(b []byte) (any, error) { return parseWinDNS(qtype, b) }
	}
	winFile := func(b []byte) (any, error) {
		st, target, err := parseWinFile(b)
		return map[string]any{"stat": st, "target": target}, err
	}
	winAcct := func(b []byte) (any, error) {
		a, ok, err := parseWinAccount(b)
		return map[string]any{"exists": ok, "account": a}, err
	}
	return []probeCase{
		{file: "proc_net_tcp.txt", parse: procNet("tcp")},
		{file: "proc_net_tcp6.txt", parse: procNet("tcp6")},
		{file: "proc_net_udp.txt", parse: procNet("udp")},
		{file: "proc_net_udp6.txt", parse: procNet("udp6")},
		{file: "ss_ltnu.txt", parse: wrap(parseSS)},
		{file: "svc_sysv_dbus.txt", parse: wrap(parseServiceProps)},
		{file: "svc_sysv_hwclock.txt", parse: wrap(parseServiceProps)},
		{file: "svc_sysv_missing.txt", parse: wrap(parseServiceProps)},
		{file: "svc_systemd_ssh.txt", parse: wrap(parseServiceProps)},
		{file: "svc_systemd_missing.txt", parse: wrap(parseServiceProps)},
		{file: "svc_systemd_static.txt", parse: wrap(parseServiceProps)},
		{file: "svc_systemd_failed.txt", parse: wrap(parseServiceProps)},
		{file: "svc_openrc_sshd.txt", parse: wrap(parseServiceProps)},
		{file: "ps_comm.txt", parse: names},
		{file: "pkg_dpkg_openssh.txt", parse: pkg("openssh-server")},
		{file: "pkg_dpkg_missing.txt", parse: pkg("nosuchpkg")},
		{file: "pkg_dpkg_states.txt", golden: "pkg_dpkg_states_triggers", parse: pkg("libc-bin")},
		{file: "pkg_dpkg_states.txt", golden: "pkg_dpkg_states_halfconfigured", parse: pkg("man-db")},
		{file: "pkg_rpm_missing.txt", parse: pkg("nosuchpkg")},
		{file: "pkg_rpm_kernel.txt", parse: pkg("kernel")},
		{file: "pkg_rpm_epoch.txt", parse: pkg("openssl")},
		{file: "pkg_apk_musl.txt", parse: pkg("musl")},
		{file: "stat_file.txt", parse: wrap(parseStat)},
		{file: "stat_dir.txt", parse: wrap(parseStat)},
		{file: "stat_symlink.txt", parse: wrap(parseStat)},
		{file: "stat_chardev.txt", parse: wrap(parseStat)},
		{file: "stat_setuid.txt", parse: wrap(parseStat)},
		{file: "stat_missing.txt", parse: wrap(parseStat)},
		{file: "stat_nobody.txt", parse: wrap(parseStat)},
		{file: "sum_sha256.txt", parse: wrap(parseChecksum)},
		{file: "sum_md5.txt", parse: wrap(parseChecksum)},
		{file: "getent_passwd_root.txt", parse: wrap(parsePasswd)},
		{file: "getent_passwd_nobody.txt", parse: wrap(parsePasswd)},
		{file: "getent_passwd_missing.txt", parse: wrap(parsePasswd)},
		{file: "getent_group_sudo.txt", parse: wrap(parseGroupEntry)},
		{file: "getent_group_missing.txt", parse: wrap(parseGroupEntry)},
		{file: "idgroups_root.txt", parse: func(b []byte) (any, error) { return strings.Fields(string(b)), nil }},
		{file: "mountinfo.txt", golden: "mountinfo_root", parse: mount("/")},
		{file: "mountinfo.txt", golden: "mountinfo_devpts_stacked", parse: mount("/dev/pts/")},
		{file: "mountinfo.txt", golden: "mountinfo_missing", parse: mount("/srv")},
		{file: "df_root.txt", parse: wrap(parseDF)},
		{file: "ahosts_localhost.txt", parse: ahosts},
		{file: "ahostsv6_localhost.txt", parse: func(b []byte) (any, error) { return dropMapped(parseAhosts(b)), nil }},
		{file: "ahosts_missing.txt", parse: ahosts},
		{file: "sysctl_somaxconn.txt", parse: text},
		{file: "sysctl_port_range.txt", parse: text},
		{file: "win_tcp.json", parse: func(b []byte) (any, error) { return parseWinListeners("tcp", b) }},
		{file: "win_tcp_single.json", parse: func(b []byte) (any, error) { return parseWinListeners("tcp", b) }},
		{file: "win_udp.json", parse: func(b []byte) (any, error) { return parseWinListeners("udp", b) }},
		{file: "win_service_sshd.json", parse: wrap(parseWinService)},
		{file: "win_service_stopped_manual.json", parse: wrap(parseWinService)},
		{file: "win_service_strings.json", parse: wrap(parseWinService)},
		{file: "win_service_missing.json", parse: wrap(parseWinService)},
		{file: "win_process.json", parse: wrap(parseWinProcesses)},
		{file: "win_package.json", parse: wrap(parseWinPackage)},
		{file: "win_package_missing.json", parse: wrap(parseWinPackage)},
		{file: "win_file.json", parse: winFile},
		{file: "iface_lo.txt", parse: wrap(parseIface)},
		{file: "iface_missing.txt", parse: wrap(parseIface)},
		{file: "win_interface.json", parse: wrap(parseWinInterface)},
		{file: "win_interface_missing.json", parse: wrap(parseWinInterface)},
		{file: "win_file_dir.json", parse: winFile},
		{file: "win_file_link.json", parse: winFile},
		{file: "win_file_missing.json", parse: winFile},
		{file: "win_user.json", parse: winAcct},
		{file: "win_user_missing.json", parse: winAcct},
		{file: "win_dns_a.json", golden: "win_dns_a_any", parse: winDNS("")},
		{file: "win_dns_a.json", golden: "win_dns_a_cname", parse: winDNS("CNAME")},
		{file: "win_dns_mx.json", golden: "win_dns_mx", parse: winDNS("MX")},
		{file: "win_dns_mx.json", golden: "win_dns_txt", parse: winDNS("TXT")},
		{file: "win_dns_mx.json", golden: "win_dns_srv", parse: winDNS("SRV")},
	}
}

// TestProbeParsersGolden runs every parser on output captured from real
// hosts (Linux outputs on Debian 12; see testdata/probes/README.md) and
// compares with the golden files. Run with -update to rewrite them.
func TestProbeParsersGolden(t *testing.T) {
	dir := filepath.Join("testdata", "probes")
	covered := make(map[string]bool)
	for _, tc := range probeCases() {
		covered[tc.file] = true
		golden := tc.golden
		if golden == "" {
			golden = strings.TrimSuffix(tc.file, filepath.Ext(tc.file))
		}
		t.Run(golden, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			v, err := tc.parse(data)
			out := map[string]any{"result": v}
			if err != nil {
				out = map[string]any{"error": err.Error()}
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			compareGolden(t, filepath.Join(dir, golden+".golden"), got)
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var missed []string
	for _, e := range entries {
		name := e.Name()
		if ext := filepath.Ext(name); (ext == ".txt" || ext == ".json") && !covered[name] {
			missed = append(missed, name)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("captured outputs without a parser case: %v", missed)
	}
}

// compareGolden compares got with a golden file, or rewrites it with -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got: %s\nwant: %s", path, got, want)
	}
}
