package winrm

import (
	"bytes"
	"os"
	"testing"

	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/remotetest"
)

func TestFileTransferPowerShellProbe(t *testing.T) {
	sim, err := remotetest.NewPowerShell(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, target := startHost(t, remotetest.WSManOptions{Auth: "basic", HTTPS: true, PowerShell: sim}, remote.WinRMSettings{})
	d := newTestDialer(Options{})
	d.scripts = powershellScripts
	tr := dial(t, d, target)
	data := randomBytes(100, 1)
	if err := tr.Upload(testContext(t), `C:\Windows\Temp\x.bin`, bytes.NewReader(data), 0o644); err != nil {
		t.Fatalf("Upload: %v", err)
	}
	got, err := os.ReadFile(sim.HostPath(`C:\Windows\Temp\x.bin`))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatal(err)
	}
	var back bytes.Buffer
	if err := tr.Download(testContext(t), `C:\Windows\Temp\x.bin`, &back); err != nil {
		t.Fatalf("Download: %v", err)
	}
}
