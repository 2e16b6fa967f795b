package inventory_test

import (
	"fmt"

	"github.com/remotectl/remotectl/inventory"
	"github.com/remotectl/remotectl/remote"
	"github.com/remotectl/remotectl/remote/local"
	"github.com/remotectl/remotectl/remote/ssh"
	"github.com/remotectl/remotectl/remote/winrm"
)

func Example() {
	// The transports declare their settings (proxy_jump is SSH's).
	transports := []remote.SettingsSchema{ssh.Settings(), winrm.Settings(), local.Settings()}
	inv, err := inventory.Parse("inventory.yaml", []byte(`
defaults:
  user: deploy
hosts:
  web[01-03].example.com:
    connection: { proxy_jump: bastion.example.com }
  db01.example.com: { port: 2222 }
groups:
  web:
    hosts: ["web[01-03].example.com"]
    vars: { http_port: 80 }
  prod:
    hosts: [web01.example.com, db01.example.com]
`), inventory.LoadOptions{Transports: transports})
	if err != nil {
		fmt.Println(err)
		return
	}
	hosts, err := inv.Select("web:&prod", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hosts {
		fmt.Println(h.Name, h.User, h.Conn.SSH.ProxyJump, h.Vars["http_port"], h.VarOrigin("http_port"))
	}
	// Output:
	// web01.example.com deploy bastion.example.com 80 group web (inventory.yaml:11:13)
}

func ExampleInventory_Select() {
	inv, err := inventory.Parse("hosts", []byte(`
[web]
web[1:4]
[db]
db1 ansible_host=10.0.0.5
[prod:children]
web
db
`), inventory.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// web[1:2] is a subscript of group web (its 2nd and 3rd hosts), as in
	// Ansible, and so is web[1-2] (Ansible's old form).
	for _, pattern := range []string{"web[1:2]", "web[1-2]", "web:!web[-1]", "prod:&~db", "wbe"} {
		hosts, err := inv.Select(pattern, "")
		if err != nil {
			fmt.Printf("%-14s error: %v\n", pattern, err)
			continue
		}
		fmt.Printf("%-14s", pattern)
		for _, h := range hosts {
			fmt.Printf(" %s(%s)", h.Name, h.Addr())
		}
		fmt.Println()
	}
	// Output:
	// web[1:2]       web2(web2) web3(web3)
	// web[1-2]       web2(web2) web3(web3)
	// web:!web[-1]   web1(web1) web2(web2) web3(web3)
	// prod:&~db      db1(10.0.0.5)
	// wbe            error: "wbe" is not a host or group of the inventory; did you mean "web"?
}
