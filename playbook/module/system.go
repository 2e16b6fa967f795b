package module

import "context"

// systemModules are the modules of users and the system.
func systemModules() []*Module {
	return []*Module{
		{Name: "ping", Collection: "ansible.builtin", Check: CheckFull,
			Params: []Param{{Name: "data", Type: Str, Default: "pong"}},
			Run: func(_ context.Context, c *Call) (Result, error) {
				if d := c.Args.Str("data"); d == "crash" {
					return Failed("boom"), nil
				}
				return Result{"changed": false, "ping": c.Args.Str("data")}, nil
			}},
		userModule(),
		groupModule(),
		cronModule(),
		sysctlModule(),
		authorizedKeyModule(),
		gitModule(),
		hostnameModule(),
		mountModule(),
	}
}
