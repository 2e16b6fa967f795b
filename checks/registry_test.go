package checks

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// TestParseRegistryPathAsGoss follows goss's parseRegistryKey: the last
// segment names the value (none after a trailing backslash: the default
// value), "::" separates a name holding backslashes, hives are goss's five.
func TestParseRegistryPathAsGoss(t *testing.T) {
	good := map[string]registryPath{
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run`: {"HKLM", `SOFTWARE\Microsoft\Windows\CurrentVersion`, "Run"},
		`hkcu\Software\X\`: {"HKCU", `Software\X`, ""},
		`HKLM\SOFTWARE\Policies\Microsoft\Windows\NetworkProvider\HardenedPaths::\\*\NETLOGON`: {"HKLM",
			`SOFTWARE\Policies\Microsoft\Windows\NetworkProvider\HardenedPaths`, `\\*\NETLOGON`},
		`HKU\Name`: {"HKU", "", "Name"},
	}
	for in, want := range good {
		if got, err := parseRegistryPath(in); err != nil || got != want {
			t.Errorf("parseRegistryPath(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "HKLM", `HKXX\a\b`, `HKLM\`} {
		if _, err := parseRegistryPath(in); err == nil || !strings.Contains(err.Error(), "hint:") {
			t.Errorf("parseRegistryPath(%q) = %v, want an error with a hint", in, err)
		}
	}
}

// TestRegistryChecks: on Windows the value's existence, type and text as
// goss reads them; an unknown hive is an error; on other hosts every
// registry check is an error, as goss says, the rest of the file runs.
func TestRegistryChecks(t *testing.T) {
	product := psRegistry(registryPath{"HKLM", `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "ProductName"})
	missing := psRegistry(registryPath{"HKLM", `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "NonExistentValue12345"})
	flags := psRegistry(registryPath{"HKLM", `SOFTWARE\X`, "Flags"})
	host := newFakeHost(remote.OSWindows, map[string]probeReply{
		product: {out: `{"Exists":true,"Type":"REG_SZ","Value":"Windows Server 2022 Datacenter","Problem":""}`},
		missing: {out: `{"Exists":false,"Type":"","Value":"","Problem":""}`},
		flags:   {out: `{"Exists":true,"Type":"REG_DWORD","Value":"4294967295","Problem":""}`},
	})
	src := `
registry:
  HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProductName:
    exists: true
    value: {match-regexp: "Windows.*"}
    type: REG_SZ
  HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NonExistentValue12345: {exists: false, type: REG_SZ}
  flags: {name: 'HKLM\SOFTWARE\X\Flags', exists: true, value: "4294967295", type: REG_DWORD}
  HKXX\SOFTWARE\X: {exists: true}
`
	results := Run(context.Background(), host.exec(), HostInfo{Name: "win1"}, mustParse(t, src), RunOptions{})
	want := []string{
		`registry HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProductName exists pass`,
		`registry HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProductName value pass`,
		`registry HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProductName type pass`,
		`registry HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NonExistentValue12345 exists pass`,
		`registry HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NonExistentValue12345 type skip`,
		`registry flags exists pass`, `registry flags value pass`, `registry flags type pass`,
		`registry HKXX\SOFTWARE\X exists error`,
	}
	if got := summary(results); !reflect.DeepEqual(got, want) {
		t.Errorf("Windows results:\n got %q\nwant %q", got, want)
	}

	linux := newFakeHost(remote.OSLinux, map[string]probeReply{})
	results = Run(context.Background(), linux.exec(), HostInfo{Name: "deb1"}, mustParse(t, src+"matching:\n  m: {content: 1, matches: 1}\n"), RunOptions{})
	var errs int
	for _, r := range results {
		if r.Type == "registry" && r.Status == Error {
			errs++
			if r.Message != "registry resource is only supported on Windows" {
				t.Errorf("%s %s: %s", r.ID, r.Property, r.Message)
			}
		}
	}
	if errs != 4 || results[len(results)-1].Status != Pass {
		t.Errorf("POSIX results: %q", summary(results))
	}
}
