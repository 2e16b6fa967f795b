// Command wsmanserver runs the remotectl WS-Management test server (a
// protocol double of a Windows WinRM listener) for demos and benchmarks. It
// prints the endpoint and credentials, serves until interrupted, then kills
// every process it started. With -powershell DIR, PowerShell
// -EncodedCommand command lines run in the PowerShell simulator, whose C:\
// is DIR (created if missing), so remotectl's Windows modules can be tried.
//
// Usage:
//
//	wsmanserver [-auth basic|ntlm|certificate] [-https] [-seal] [-allow-unencrypted]
//	            [-user NAME -password PASSWORD] [-domain NAME] [-op-timeout-cap DURATION] [-slow DURATION]
//	            [-kerberos-keytab FILE -kerberos-realm REALM]
//	            [-powershell DIR]
//
// With -kerberos-keytab (the keytab of HTTP/host@REALM), Kerberos is
// accepted too, for the user NAME@REALM; over plain HTTP its messages must
// then be encrypted (unless -allow-unencrypted).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/remotectl/remotectl/remote/remotetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wsmanserver:", err)
		os.Exit(1)
	}
}

func run() error {
	var opts remotetest.WSManOptions
	flag.StringVar(&opts.Auth, "auth", "", "authentication enabled beside Negotiate: basic, ntlm or certificate (default basic; ntlm with -seal)")
	flag.BoolVar(&opts.HTTPS, "https", false, "serve TLS with a generated CA (its file is printed)")
	flag.BoolVar(&opts.Seal, "seal", false, "require NTLM message encryption over HTTP (implies -auth ntlm)")
	flag.BoolVar(&opts.AllowUnencrypted, "allow-unencrypted", false, "accept Basic and unsealed NTLM over plain HTTP (Windows' AllowUnencrypted=true)")
	flag.StringVar(&opts.User, "user", "", "user name (default "+remotetest.WSManUser+")")
	flag.StringVar(&opts.Password, "password", "", "password (default "+remotetest.WSManPassword+")")
	flag.StringVar(&opts.Domain, "domain", "", "NTLM domain (default: a workgroup server)")
	flag.DurationVar(&opts.OperationTimeoutCap, "op-timeout-cap", 0, "upper bound on a Receive long poll (default: the client's OperationTimeout)")
	flag.DurationVar(&opts.Faults.SlowReply, "slow", 0, "delay every reply by this much")
	var krb remotetest.WSManKerberos
	flag.StringVar(&krb.Keytab, "kerberos-keytab", "", "accept Kerberos with the keytab of the service principal HTTP/host@REALM")
	flag.StringVar(&krb.Realm, "kerberos-realm", "", "the realm of the Kerberos user (with -kerberos-keytab)")
	psRoot := flag.String("powershell", "", "run PowerShell command lines in the simulator, with this directory as C:\\")
	flag.Parse()
	if krb.Keytab != "" || krb.Realm != "" {
		opts.Kerberos = &krb
	}
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; see -help", flag.Args())
	}
	if *psRoot != "" {
		sim, err := remotetest.NewPowerShell(*psRoot)
		if err != nil {
			return err
		}
		opts.PowerShell = sim
	}
	srv, err := remotetest.NewWSManServer(opts)
	if err != nil {
		return err
	}
	fmt.Printf("URL:      %s\n", srv.URL)
	fmt.Printf("User:     %s\n", srv.User)
	fmt.Printf("Password: %s\n", srv.Password)
	if opts.Kerberos != nil {
		fmt.Printf("Kerberos: %s@%s (the service principal is the keytab's)\n", srv.User, krb.Realm)
	}
	if srv.CACertFile != "" {
		fmt.Printf("CA:       %s\n", srv.CACertFile)
	}
	if srv.ClientCertFile != "" {
		fmt.Printf("Cert:     %s\nKey:      %s\n", srv.ClientCertFile, srv.ClientKeyFile)
	}
	fmt.Println("Serving; press Ctrl-C to stop.")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	srv.Close()
	return nil
}
