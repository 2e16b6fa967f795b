package module

import (
	"context"
	"strings"
)

func winServiceModule() *Module {
	return &Module{Name: "win_service", Collection: "ansible.windows", Windows: true, Check: CheckFull,
		// accounts, dependencies, failure actions, delayed start and the
		// other settings of ansible.windows' win_service are not
		// implemented: refused.
		Params: []Param{
			{Name: "name", Type: Str, Required: true},
			{Name: "path", Type: Str},
			{Name: "state", Type: Str, Choices: []string{"absent", "started", "stopped", "restarted", "paused"}},
			{Name: "start_mode", Type: Str, Choices: []string{"auto", "manual", "disabled"}},
			{Name: "display_name", Type: Str},
			{Name: "description", Type: Str},
			{Name: "force_dependent_services", Type: Bool, Default: false},
		},
		Run: runWinService}
}

// winServiceStateFunc reports a service as win_service's result keys
// (enums turned into strings: ConvertTo-Json would write their numbers).
const winServiceStateFunc = `function Get-ServiceState($name) {
    $r = @{ exists = $false }
    $svc = Get-Service -Name $name -ErrorAction SilentlyContinue
    if ($null -ne $svc) {
        $n = $svc.Name -replace "'", "\'"
        $w = Get-CimInstance -ClassName Win32_Service -Filter "Name='$n'"
        $r.exists = $true
        $r.name = $svc.Name
        $r.display_name = $svc.DisplayName
        $r.state = ([string]$svc.Status).ToLower()
        $r.start_mode = ([string]$w.StartMode).ToLower()
        $r.delayed = [bool]$w.DelayedAutoStart
        $r.path = $w.PathName
        $r.description = $w.Description
        $r.username = $w.StartName
        $r.desktop_interact = [bool]$w.DesktopInteract
        $r.can_pause_and_continue = [bool]$svc.CanPauseAndContinue
        $r.dependencies = @($svc.ServicesDependedOn | ForEach-Object { $_.Name })
        $r.depended_by = @($svc.DependentServices | ForEach-Object { $_.Name })
    }
    $r
}
`

// winServiceGatherScript reports the service $p.name.
const winServiceGatherScript = winServiceStateFunc + `Write-Result (Get-ServiceState $p.name)
`

// winServiceActScript creates the service ($p.create: its startup type)
// or changes its executable ($p.new_path), changes its settings, then its
// state ($p.action: start, stop, restart, pause, resume, delete or ""),
// and reports it.
const winServiceActScript = winServiceStateFunc + `function Invoke-ServiceMethod($name, $method, $arguments) {
    $n = $name -replace "'", "\'"
    $w = Get-CimInstance -ClassName Win32_Service -Filter "Name='$n'"
    $res = Invoke-CimMethod -InputObject $w -MethodName $method -Arguments $arguments
    if ($res.ReturnValue -ne 0) { throw "Win32_Service.$method of $name failed: return value $($res.ReturnValue)" }
}
if ($p.create) { New-Service -Name $p.name -BinaryPathName $p.path -DisplayName $p.display -StartupType $p.create | Out-Null }
if ($p.new_path) { Invoke-ServiceMethod $p.name 'Change' @{ PathName = $p.new_path } }
if ($p.startup_type) { Set-Service -Name $p.name -StartupType $p.startup_type }
if ($null -ne $p.display_name) { Set-Service -Name $p.name -DisplayName $p.display_name }
if ($null -ne $p.description) { Set-Service -Name $p.name -Description $p.description }
if ($p.action -eq 'start') { Start-Service -Name $p.name }
elseif ($p.action -eq 'stop') { Stop-Service -Name $p.name -Force:$p.force }
elseif ($p.action -eq 'restart') { Restart-Service -Name $p.name -Force:$p.force }
elseif ($p.action -eq 'pause') { Suspend-Service -Name $p.name }
elseif ($p.action -eq 'resume') { Resume-Service -Name $p.name }
elseif ($p.action -eq 'delete') {
    Stop-Service -Name $p.name -Force:$p.force
    Invoke-ServiceMethod $p.name 'Delete' @{}
}
Write-Result (Get-ServiceState $p.name)
`

// winServiceResultKeys are the keys of win_service's result that describe
// the service.
var winServiceResultKeys = []string{"exists", "name", "display_name", "state", "start_mode", "path",
	"can_pause_and_continue", "description", "username", "desktop_interact", "dependencies", "depended_by"}

func runWinService(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	name := a.Str("name")
	var cur map[string]any
	if err := runPS(ctx, c.Host, winServiceGatherScript, map[string]any{"name": name}, &cur); err != nil {
		return psFailed(err, nil)
	}
	if cur["exists"] != true {
		switch {
		case a.Str("state") == "absent" || !a.Has("path") && !a.Has("state") && !a.Has("start_mode") && !a.Has("display_name") && !a.Has("description"):
			return Result{"changed": false, "exists": false}, nil
		case !a.Has("path"):
			return Failed("Service '%s' is not installed, need to set 'path' to create a new service", name), nil
		}
		cur = newWinService(a)
	}
	if cur["delayed"] == true && cur["start_mode"] == "auto" {
		cur["start_mode"] = "delayed"
	}
	plan, after, msg := planWinService(a, cur)
	if msg != "" {
		return winServiceResult(cur, Result{"failed": true, "msg": msg, "changed": false}), nil
	}
	r := Result{"changed": plan["changed"] == true}
	if !r.Changed() || c.Check {
		return winServiceResult(after, r), nil
	}
	delete(plan, "changed")
	plan["name"], plan["force"] = name, a.Bool("force_dependent_services")
	var got map[string]any
	if err := runPS(ctx, c.Host, winServiceActScript, plan, &got); err != nil {
		return psFailed(err, winServiceResult(cur, r))
	}
	if got["delayed"] == true && got["start_mode"] == "auto" {
		got["start_mode"] = "delayed"
	}
	return winServiceResult(got, r), nil
}

// planWinService decides what changes: the act script's parameters (and
// "changed"), the service as it will be, or a failure message.
func planWinService(a Args, cur map[string]any) (plan, after map[string]any, msg string) {
	plan, after = map[string]any{"action": ""}, map[string]any{}
	for k, v := range cur {
		after[k] = v
	}
	changed := false
	if cur["exists"] == "new" { // created with its start mode, stopped
		mode := a.Str("start_mode")
		if mode == "" {
			mode = "auto"
		}
		plan["create"] = map[string]string{"auto": "Automatic", "manual": "Manual", "disabled": "Disabled"}[mode]
		plan["path"], plan["display"] = a.Str("path"), cur["display_name"]
		after["exists"], after["start_mode"], changed = true, mode, true
	} else if p := a.Str("path"); a.Has("path") && p != cur["path"] {
		plan["new_path"], after["path"], changed = p, p, true
	}
	if a.Str("state") == "absent" {
		plan["action"], plan["changed"] = "delete", true
		return plan, map[string]any{"exists": false}, ""
	}
	if m := a.Str("start_mode"); m != "" && m != after["start_mode"] {
		plan["startup_type"] = map[string]string{"auto": "Automatic", "manual": "Manual", "disabled": "Disabled"}[m]
		after["start_mode"], changed = m, true
	}
	for _, k := range []string{"display_name", "description"} {
		if a.Has(k) && a.Str(k) != cur[k] {
			plan[k], after[k], changed = a.Str(k), a.Str(k), true
		}
	}
	state, _ := cur["state"].(string)
	switch a.Str("state") {
	case "started":
		if state == "paused" {
			plan["action"] = "resume"
		} else if state != "running" {
			plan["action"] = "start"
		}
		if after["start_mode"] == "disabled" && plan["action"] != "" {
			return nil, nil, "Service '" + a.Str("name") + "' is disabled: it cannot be started"
		}
		after["state"] = "running"
	case "stopped":
		if state != "stopped" {
			plan["action"] = "stop"
		}
		after["state"] = "stopped"
	case "restarted":
		plan["action"], after["state"] = "restart", "running"
	case "paused":
		switch {
		case state == "stopped":
			return nil, nil, "failed to pause service '" + a.Str("name") + "': the service is stopped, it must be running to be paused"
		case state == "running" && cur["can_pause_and_continue"] != true:
			return nil, nil, "failed to pause service '" + a.Str("name") + "': the service does not support being paused"
		case state == "running":
			plan["action"] = "pause"
		}
		after["state"] = "paused"
	}
	plan["changed"] = changed || plan["action"] != ""
	return plan, after, ""
}

// newWinService is the service win_service creates, as the gather script
// would report it: stopped, LocalSystem, its display name its name.
func newWinService(a Args) map[string]any {
	display := a.Str("name")
	if a.Has("display_name") {
		display = a.Str("display_name")
	}
	return map[string]any{"exists": "new", "name": a.Str("name"), "display_name": display, "state": "stopped",
		"start_mode": "", "path": a.Str("path"), "description": "", "username": "LocalSystem",
		"desktop_interact": false, "can_pause_and_continue": false, "dependencies": []any{}, "depended_by": []any{}}
}

// winServiceResult adds the service's keys to r.
func winServiceResult(svc map[string]any, r Result) Result {
	for _, k := range winServiceResultKeys {
		if v, ok := svc[k]; ok {
			if s, isStr := v.(string); isStr && k == "state" {
				v = strings.ToLower(s)
			}
			r[k] = v
		}
	}
	return r
}
