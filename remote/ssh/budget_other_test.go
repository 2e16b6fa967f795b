//go:build unix && !linux

package ssh

import (
	"testing"

	"github.com/remotectl/remotectl/remote"
)

// fullBacklogTarget needs Linux, where a full backlog drops SYNs.
func fullBacklogTarget(t *testing.T) remote.Target {
	t.Skip("a full listen backlog drops SYNs only on Linux")
	return remote.Target{}
}
