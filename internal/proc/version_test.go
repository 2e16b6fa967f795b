package proc

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersionNamesTheBuild(t *testing.T) {
	got := Version("v1.2.3")
	if !strings.HasPrefix(got, "remotectl v1.2.3") || !strings.HasSuffix(got, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("Version = %q", got)
	}
}
