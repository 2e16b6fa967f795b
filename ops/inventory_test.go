package ops

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/remotectl/remotectl/checks"
	"github.com/remotectl/remotectl/inventory"
)

func TestBeginWithInventoryMasksItsSecrets(t *testing.T) {
	dir := t.TempDir()
	r := newTestRun(dir, Options{}, io.Discard, newFakeClock())
	load := func(context.Context) (*inventory.Inventory, error) {
		return inventory.Parse("inventory.yaml", []byte("hosts:\n  web01:\n    vars: {db_password: hunter22}\n"), inventory.LoadOptions{})
	}
	_, inv, err := r.BeginWithInventory(context.Background(), load)
	defer r.Close()
	if err != nil || inv == nil {
		t.Fatalf("BeginWithInventory: %v", err)
	}
	res := []checks.Result{{ID: "echo hunter22", Actual: "hunter22\n", Message: "ok"}}
	r.MaskCheckResults(res)
	if strings.Contains(res[0].ID+res[0].Actual, "hunter22") || res[0].Message != "ok" {
		t.Errorf("results after masking: %+v, want the inventory's secret masked, the rest kept", res[0])
	}
}
