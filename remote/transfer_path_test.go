package remote

import "testing"

// TestRemotePaths: a Windows host's paths are joined with a backslash and
// split at either slash; the others' with a slash only.
func TestRemotePaths(t *testing.T) {
	for _, tc := range []struct {
		family          OSFamily
		dir, name, join string
		path, base      string
	}{
		{OSWindows, `C:\Temp`, "a.txt", `C:\Temp\a.txt`, `C:\Temp\sub/b.txt`, "b.txt"},
		{OSWindows, `C:\`, "a.txt", `C:\a.txt`, `C:\Temp\c.log`, "c.log"},
		{OSLinux, "/tmp/x/", "a.txt", "/tmp/x/a.txt", `/tmp/odd\name`, `odd\name`},
		{OSUnknown, "rel", "a", "rel/a", "/var/log/syslog", "syslog"},
	} {
		if got := RemoteJoin(tc.family, tc.dir, tc.name); got != tc.join {
			t.Errorf("RemoteJoin(%s, %q, %q) = %q, want %q", tc.family, tc.dir, tc.name, got, tc.join)
		}
		if got := RemoteBase(tc.family, tc.path); got != tc.base {
			t.Errorf("RemoteBase(%s, %q) = %q, want %q", tc.family, tc.path, got, tc.base)
		}
	}
}
