package module

import (
	"context"
	"fmt"
	"strings"
	"time"
)

func winPingModule() *Module {
	return &Module{Name: "win_ping", Collection: "ansible.windows", Windows: true, Check: CheckFull,
		Params: []Param{{Name: "data", Type: Str, Default: "pong"}},
		Run:    runWinPing}
}

// winPingScript answers $p.data, or throws when it is "crash", as
// win_ping.ps1.
const winPingScript = `if ($p.data -eq 'crash') { throw 'boom' }
Write-Result @{ ping = $p.data }
`

func runWinPing(ctx context.Context, c *Call) (Result, error) {
	var out struct {
		Ping string `json:"ping"`
	}
	if err := runPS(ctx, c.Host, winPingScript, map[string]any{"data": c.Args.Str("data")}, &out); err != nil {
		return psFailed(err, nil)
	}
	return Result{"changed": false, "ping": out.Ping}, nil
}

// winBootTimeCommand is win_reboot's default boot_time_command.
const winBootTimeCommand = `(Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime).LastBootUpTime.ToFileTime()`

func winRebootModule() *Module {
	return &Module{Name: "win_reboot", Collection: "ansible.windows", Windows: true, Check: CheckFull,
		Params: []Param{
			{Name: "pre_reboot_delay", Aliases: []string{"pre_reboot_delay_sec"}, Type: Int, Default: 2},
			{Name: "post_reboot_delay", Aliases: []string{"post_reboot_delay_sec"}, Type: Int, Default: 0},
			{Name: "reboot_timeout", Aliases: []string{"reboot_timeout_sec"}, Type: Int, Default: 600},
			{Name: "connect_timeout", Aliases: []string{"connect_timeout_sec"}, Type: Int, Default: 5},
			{Name: "msg", Type: Str, Default: "Reboot initiated by Ansible"},
			{Name: "test_command", Type: Str, Default: "whoami"},
			{Name: "boot_time_command", Type: Str, Default: winBootTimeCommand},
		},
		Run: runWinReboot}
}

// winShutdownScript asks Windows to restart: shutdown.exe /r as Ansible's
// win_reboot runs it.
const winShutdownScript = `& shutdown.exe /r /t $p.delay /c $p.msg
Write-Result @{ rc = $LASTEXITCODE }
`

// runWinReboot is win_reboot: read the boot time, run shutdown /r, wait
// until the boot time differs (the host restarted) and the test command
// succeeds, then wait post_reboot_delay.
func runWinReboot(ctx context.Context, c *Call) (Result, error) {
	a := c.Args
	start := time.Now()
	boot, err := winPowerShell(ctx, c.Host, a.Str("boot_time_command"), time.Duration(a.Int("connect_timeout"))*time.Second+time.Minute)
	if err != nil {
		return Result{"failed": true, "changed": false, "rebooted": false, "msg": "failed to get host boot time info: " + err.Error()}, nil
	}
	if c.Check {
		return Result{"changed": true, "rebooted": true, "elapsed": 0}, nil
	}
	var sd struct {
		RC int `json:"rc"`
	}
	if err := runPS(ctx, c.Host, winShutdownScript, map[string]any{"delay": a.Int("pre_reboot_delay"), "msg": a.Str("msg")}, &sd); err != nil {
		return psFailed(err, Result{"rebooted": false})
	}
	if sd.RC != 0 {
		return Result{"failed": true, "changed": false, "rebooted": false, "msg": fmt.Sprintf("Reboot command failed: shutdown.exe exited with %d", sd.RC)}, nil
	}
	deadline := start.Add(time.Duration(a.Int("reboot_timeout")) * time.Second)
	perTry := time.Duration(max(a.Int("connect_timeout"), 1)) * time.Second
	elapsed := func() float64 { return time.Since(start).Seconds() }
	if msg := waitWindows(ctx, deadline, func() bool {
		now, err := winPowerShell(ctx, c.Host, a.Str("boot_time_command"), perTry)
		return err == nil && now != "" && now != boot
	}); msg != "" {
		return Result{"failed": true, "changed": true, "rebooted": true, "elapsed": elapsed(),
			"msg": fmt.Sprintf("Timed out waiting for last boot time check (timeout=%d)", a.Int("reboot_timeout"))}, ctx.Err()
	}
	if msg := waitWindows(ctx, deadline, func() bool {
		_, err := winPowerShell(ctx, c.Host, a.Str("test_command"), perTry)
		return err == nil
	}); msg != "" {
		return Result{"failed": true, "changed": true, "rebooted": true, "elapsed": elapsed(),
			"msg": fmt.Sprintf("Timed out waiting for post-reboot test command (timeout=%d)", a.Int("reboot_timeout"))}, ctx.Err()
	}
	if d := time.Duration(a.Int("post_reboot_delay")) * time.Second; d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return Result{"changed": true, "rebooted": true, "elapsed": elapsed()}, nil
}

// waitWindows polls ok until it holds (""), the deadline passes or ctx
// ends (a reason).
func waitWindows(ctx context.Context, deadline time.Time, ok func() bool) string {
	pause := 250 * time.Millisecond
	for {
		if ok() {
			return ""
		}
		if time.Now().After(deadline) {
			return "timed out"
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return "cancelled"
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// winPowerShell runs a user's PowerShell command (boot_time_command,
// test_command) within timeout and returns its trimmed output; a failure
// (exit code, connection) is an error.
func winPowerShell(ctx context.Context, h Host, command string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := h.Run(ctx, Command{Script: psCommandLine(command)})
	if err != nil {
		return "", err
	}
	if out.RC != 0 {
		return "", fmt.Errorf("exit code %d: %s", out.RC, strings.TrimSpace(out.Stderr))
	}
	return strings.TrimSpace(out.Stdout), nil
}
