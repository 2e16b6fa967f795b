package report

// RunInfo says which run a JSON document comes from, so that report merge
// can tell the shards of one run from documents that must not be merged:
// the run's ID (shared by every shard of a sharded run: --run-id), the
// command, and the shard (K/N, "" when the run was not sharded).
type RunInfo struct {
	ID      string `json:"id"`
	Command string `json:"command"`
	Shard   string `json:"shard,omitempty"`
}
