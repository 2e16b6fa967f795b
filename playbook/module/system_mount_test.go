package module

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestMountDecisions(t *testing.T) {
	fstab := "# /etc/fstab\nUUID=1 / ext4 errors=remount-ro 0 1\n/dev/sdb1 /srv/data ext4 defaults 0 2\n"
	m := mountArgs{name: "/srv/data", src: "/dev/sdb1", fstype: "ext4", opts: "defaults", dump: "0", passno: "2"}
	if _, ch := setMount(fstab, m); ch {
		t.Error("same entry changed")
	}
	m.opts = "noatime"
	if got, ch := setMount(fstab, m); !ch || got != "# /etc/fstab\nUUID=1 / ext4 errors=remount-ro 0 1\n/dev/sdb1 /srv/data ext4 noatime 0 2\n" {
		t.Errorf("changed entry: %v %q", ch, got)
	}
	m = mountArgs{name: "/mnt/my disk", src: "/dev/sdc1", fstype: "xfs", opts: "defaults", dump: "0", passno: "0"}
	if got, ch := setMount("x / ext4 defaults 0 1", m); !ch || got != "x / ext4 defaults 0 1\n/dev/sdc1 /mnt/my\\040disk xfs defaults 0 0\n" {
		t.Errorf("new entry: %q", got)
	}
	if got, ch := unsetMount(fstab, "/srv/data"); !ch || got != "# /etc/fstab\nUUID=1 / ext4 errors=remount-ro 0 1\n" {
		t.Errorf("unset: %q", got)
	}
	mm, _ := Lookup("ansible.posix.mount")
	args, _ := mm.Normalize(map[string]any{"path": "/x", "state": "present", "boot": false, "src": "a", "fstype": "b"})
	if got := newMountArgs(args); got.opts != "defaults,noauto" {
		t.Errorf("boot false: %q", got.opts)
	}
	p := parseMountProbe("@@fstab\na b c d\n\n@@end\n@@mounted\n")
	if !p.fstabExists || p.text != "a b c d\n" || !p.mounted || p.exists {
		t.Errorf("probe: %+v", p)
	}
}

// TestMountFstab manages entries of an fstab in a temporary directory;
// with the right to mount (root, not in a restricted container) it also
// mounts a tmpfs there.
func TestMountFstab(t *testing.T) {
	dir := t.TempDir()
	fstab := filepath.Join(dir, "fstab")
	mustWrite(t, fstab, "# test\n")
	point := filepath.Join(dir, "point")
	entry := map[string]any{"path": point, "src": "rctest", "fstype": "tmpfs", "opts": "size=1m", "state": "present", "fstab": fstab}
	if res := runLocal(t, "mount", entry, true, false); !res.Changed() {
		t.Errorf("check: %v", res)
	}
	if got, _ := os.ReadFile(fstab); string(got) != "# test\n" {
		t.Errorf("check mode wrote %q", got)
	}
	if res := runLocal(t, "mount", entry, false, false); !res.Changed() || res["name"] != point || res["opts"] != "size=1m" {
		t.Errorf("present: %v", res)
	}
	if res := runLocal(t, "mount", entry, false, false); res.Changed() {
		t.Errorf("present again: %v", res)
	}
	if got, _ := os.ReadFile(fstab); string(got) != "# test\nrctest "+point+" tmpfs size=1m 0 0\n" {
		t.Errorf("fstab %q", got)
	}
	canMount := os.Geteuid() == 0 && exec.Command("sh", "-c", "d=$(mktemp -d) && mount -t tmpfs rctest \"$d\" && umount \"$d\"; rc=$?; rmdir \"$d\"; exit $rc").Run() == nil
	if canMount {
		mounted := map[string]any{"path": point, "src": "rctest", "fstype": "tmpfs", "opts": "size=1m", "state": "mounted", "fstab": fstab}
		t.Cleanup(func() { exec.Command("umount", point).Run() }) //nolint:errcheck // best effort
		if res := runLocal(t, "mount", mounted, false, false); !res.Changed() || res.IsFailed() {
			t.Errorf("mounted: %v", res)
		}
		if res := runLocal(t, "mount", mounted, false, false); res.Changed() {
			t.Errorf("mounted again: %v", res)
		}
		if res := runLocal(t, "mount", map[string]any{"path": point, "state": "unmounted", "fstab": fstab}, false, false); !res.Changed() {
			t.Errorf("unmounted: %v", res)
		}
	}
	if res := runLocal(t, "mount", map[string]any{"path": point, "state": "absent", "fstab": fstab}, false, false); !res.Changed() {
		t.Errorf("absent: %v", res)
	}
	if got, _ := os.ReadFile(fstab); string(got) != "# test\n" {
		t.Errorf("after absent %q", got)
	}
	if _, err := os.Stat(point); err == nil {
		t.Error("absent left the mount point")
	}
	if res := runLocal(t, "mount", map[string]any{"path": point, "state": "mounted", "fstab": fstab}, true, false); !res.IsFailed() {
		t.Errorf("mounted without src: %v", res)
	}
}
