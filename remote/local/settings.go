package local

import "github.com/remotectl/remotectl/remote"

// Settings declares the settings of the local transport: none of its own,
// and the ansible_connection value that chooses it.
func Settings() remote.SettingsSchema {
	return remote.SettingsSchema{Kind: remote.KindLocal, AnsibleConnections: []string{"local"}}
}
