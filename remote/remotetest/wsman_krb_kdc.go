package remotetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MIT Kerberos programs the KDC harness runs (Debian's krb5-kdc,
// krb5-admin-server and krb5-user).
const (
	krbKDCProgram     = "/usr/sbin/krb5kdc"
	krbKDBUtilProgram = "/usr/sbin/kdb5_util"
	krbKadminProgram  = "/usr/sbin/kadmin.local"
	krbKinitProgram   = "/usr/bin/kinit"
)

// KDC is a real MIT Kerberos KDC serving one realm on a free loopback
// port, its database and configuration in a temporary directory. Clients
// use it through Config (KRB5_CONFIG); it knows the host names of
// KDCDomain (and 127.0.0.1) as the realm's.
type KDC struct {
	Realm  string
	Port   int
	Config string // krb5.conf for clients: the realm, its KDC, domain_realm
	Dir    string

	env []string // KRB5_CONFIG and KRB5_KDC_PROFILE for the MIT tools
}

// KDCDomain is the DNS domain StartKDC maps to its realm.
const KDCDomain = "krb.test"

// StartKDC creates realm (upper case) with an MIT KDC on loopback and
// stops it when the test ends. It skips the test when Debian's MIT
// Kerberos programs are missing (fails it when CI=true).
func StartKDC(t testing.TB, realm string) *KDC {
	t.Helper()
	for _, p := range []string{krbKDCProgram, krbKDBUtilProgram, krbKadminProgram, krbKinitProgram} {
		if _, err := os.Stat(p); err != nil {
			unavailable(t, "Kerberos tests need MIT Kerberos (apt-get install krb5-kdc krb5-admin-server krb5-user): %v", err)
		}
	}
	k := &KDC{Realm: realm, Dir: t.TempDir(), Port: freeLoopbackPort(t)}
	k.Config = filepath.Join(k.Dir, "krb5.conf")
	profile := filepath.Join(k.Dir, "kdc.conf")
	k.env = append(krbCleanEnv(), "KRB5_CONFIG="+k.Config, "KRB5_KDC_PROFILE="+profile, "KRB5CCNAME=FILE:"+filepath.Join(k.Dir, "admin.ccache"))
	for path, data := range map[string]string{k.Config: k.clientConfig(), profile: k.kdcConfig(),
		filepath.Join(k.Dir, "kadm5.acl"): "*/admin@" + realm + " *\n"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	k.run(t, nil, krbKDBUtilProgram, "create", "-s", "-W", "-r", realm, "-P", "kdc-master-"+strconv.Itoa(k.Port))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, krbKDCProgram, "-n", "-r", realm)
	cmd.Env = k.env
	var logBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("remotetest: krb5kdc: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(k.Port)), time.Second)
		if err == nil {
			c.Close()
			return k
		}
		if time.Now().After(deadline) {
			t.Fatalf("remotetest: krb5kdc did not listen on %d: %v\n%s", k.Port, err, logBuf.Bytes())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// krbCleanEnv is the environment without Kerberos variables of the user
// (their credential cache, configuration or keytabs).
func krbCleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KRB5") {
			env = append(env, kv)
		}
	}
	return env
}

func freeLoopbackPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (k *KDC) clientConfig() string {
	return fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
	default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
	default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
	permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96

[realms]
	%[1]s = {
		kdc = 127.0.0.1:%[2]d
	}

[domain_realm]
	.%[3]s = %[1]s
	%[3]s = %[1]s
	127.0.0.1 = %[1]s
`, k.Realm, k.Port, KDCDomain)
}

func (k *KDC) kdcConfig() string {
	return fmt.Sprintf(`[kdcdefaults]
	kdc_listen = 127.0.0.1:%[2]d
	kdc_tcp_listen = 127.0.0.1:%[2]d

[realms]
	%[1]s = {
		database_name = %[3]s/principal
		key_stash_file = %[3]s/stash
		acl_file = %[3]s/kadm5.acl
		max_life = 10h
		max_renewable_life = 1d
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}

[logging]
	kdc = FILE:%[3]s/kdc.log
`, k.Realm, k.Port, k.Dir)
}

// run runs an MIT tool with the realm's environment, stdin as its input.
func (k *KDC) run(t testing.TB, stdin []byte, program string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Env = k.env
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("remotetest: %s %s: %v\n%s", filepath.Base(program), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// kadmin runs kadmin.local queries, read from its standard input (so that
// passwords are never in an argv).
func (k *KDC) kadmin(t testing.TB, queries ...string) {
	t.Helper()
	k.run(t, []byte(strings.Join(queries, "\n")+"\n"), krbKadminProgram)
}

// AddUser creates the principal name@Realm with a password.
func (k *KDC) AddUser(t testing.TB, name, password string) {
	t.Helper()
	k.kadmin(t, fmt.Sprintf("addprinc -pw %s %s@%s", password, name, k.Realm))
}

// AddService creates a principal with a random key (such as
// "HTTP/win1.krb.test") and returns a keytab file holding its keys.
func (k *KDC) AddService(t testing.TB, name string) string {
	t.Helper()
	kt := filepath.Join(k.Dir, strings.NewReplacer("/", "_", "@", "_").Replace(name)+".keytab")
	k.kadmin(t, fmt.Sprintf("addprinc -randkey %s@%s", name, k.Realm),
		fmt.Sprintf("ktadd -k %s %s@%s", kt, name, k.Realm))
	return kt
}

// UserKeytab exports the keys of an existing user into a keytab file,
// without changing them (its password keeps working).
func (k *KDC) UserKeytab(t testing.TB, name string) string {
	t.Helper()
	kt := filepath.Join(k.Dir, name+".user.keytab")
	k.kadmin(t, fmt.Sprintf("ktadd -norandkey -k %s %s@%s", kt, name, k.Realm))
	return kt
}

// Kinit obtains a TGT for name with its password into a new credential
// cache file, as a user's kinit would, and returns the cache's path.
// lifetime is kinit's -l (e.g. "1h"; "" for the default).
func (k *KDC) Kinit(t testing.TB, name, password, lifetime string) string {
	t.Helper()
	cc := filepath.Join(t.TempDir(), "krb5cc_"+name)
	args := []string{"-c", "FILE:" + cc}
	if lifetime != "" {
		args = append(args, "-l", lifetime)
	}
	k.run(t, []byte(password+"\n"), krbKinitProgram, append(args, name+"@"+k.Realm)...)
	return cc
}
