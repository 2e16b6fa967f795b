package proc

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version describes the build: "remotectl v1.2.3 (0123456789ab-dirty)
// go1.24 linux/amd64". linkVersion is the version set at link time, if
// any; otherwise the module's, else "devel".
func Version(linkVersion string) string {
	v, commit, dirty := linkVersion, "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	out := "remotectl " + v
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if dirty {
			commit += "-dirty"
		}
		out += " (" + commit + ")"
	}
	return fmt.Sprintf("%s %s %s/%s", out, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
