package main

import (
	"github.com/remotectl/remotectl/report"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPersistSetting checks --persist from a config file, the environment
// and the flag, and that a negative duration is refused.
func TestPersistSetting(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("REMOTECTL_PERSIST", "")
	if g, err := settingsFor(t, dir); err != nil || g.Persist != 0 {
		t.Errorf("default: persist %s, %v; want 0 (off)", g.Persist, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "remotectl.yaml"), []byte("persist: 2m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if g, err := settingsFor(t, dir); err != nil || g.Persist != 2*time.Minute {
		t.Errorf("config file: persist %s, %v; want 2m", g.Persist, err)
	}
	t.Setenv("REMOTECTL_PERSIST", "30s")
	if g, err := settingsFor(t, dir); err != nil || g.Persist != 30*time.Second {
		t.Errorf("environment: persist %s, %v; want 30s", g.Persist, err)
	}
	if g, err := settingsFor(t, dir, "--persist", "5s"); err != nil || g.Persist != 5*time.Second {
		t.Errorf("flag: persist %s, %v; want 5s", g.Persist, err)
	}
	_, err := settingsFor(t, dir, "--persist", "-1s")
	if exitCodeOf(err) != report.ExitUsage || !strings.Contains(err.Error(), "--persist") {
		t.Errorf("--persist -1s: %v (exit %d), want a usage error", err, exitCodeOf(err))
	}
}
