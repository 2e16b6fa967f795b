package checks

import (
	"encoding/json"
	"fmt"
	"strings"
)

// registryPath is a registry value's place, as goss's parseRegistryKey
// reads it (system/registry.go).
type registryPath struct {
	Hive, SubKey, ValueName string
}

// registryHives are the hives goss knows, with .NET's RegistryHive names.
var registryHives = map[string]string{
	"HKLM": "LocalMachine", "HKCU": "CurrentUser", "HKCR": "ClassesRoot", "HKU": "Users", "HKCC": "CurrentConfig",
}

// parseRegistryPath splits "HIVE\subkey\ValueName" (the last segment is
// the value's name, empty after a trailing backslash: the key's default
// value) or "HIVE\subkey::ValueName" (for names holding backslashes).
func parseRegistryPath(key string) (registryPath, error) {
	const hint = `; hint: write HIVE\subkey\ValueName (HKLM, HKCU, HKCR, HKU or HKCC), or HIVE\subkey::ValueName`
	hive, rest, found := strings.Cut(key, `\`)
	switch {
	case key == "":
		return registryPath{}, fmt.Errorf("invalid registry key: empty key%s", hint)
	case !found:
		return registryPath{}, fmt.Errorf("invalid registry key %q: missing subkey path%s", key, hint)
	case registryHives[strings.ToUpper(hive)] == "":
		return registryPath{}, fmt.Errorf("invalid registry hive %q%s", hive, hint)
	case rest == "":
		return registryPath{}, fmt.Errorf("invalid registry key %q: empty subkey path%s", key, hint)
	}
	p := registryPath{Hive: strings.ToUpper(hive)}
	if sub, name, ok := strings.Cut(rest, "::"); ok {
		p.SubKey, p.ValueName = sub, name
		return p, nil
	}
	if i := strings.LastIndexByte(rest, '\\'); i >= 0 {
		p.SubKey, p.ValueName = rest[:i], rest[i+1:]
	} else {
		p.ValueName = rest
	}
	return p, nil
}

// psRegistry reads a registry value as goss does: whether it exists (the
// key, for the default value), its type's name and its value as text
// (environment names not expanded; DWORD and QWORD unsigned decimal,
// binary lowercase hex, multi-string one line each).
func psRegistry(p registryPath) string {
	return `$r=[ordered]@{Exists=$false;Type='';Value='';Problem=''};` +
		`$h=[Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::` + registryHives[p.Hive] +
		`,[Microsoft.Win32.RegistryView]::Default);$k=$h.OpenSubKey(` + psQuote(p.SubKey) + `);$n=` + psQuote(p.ValueName) + `;` +
		`if($k -and ($n -eq '' -or @($k.GetValueNames()) -contains $n)){$r.Exists=$true;try{` +
		`$t=$k.GetValueKind($n);$v=$k.GetValue($n,$null,'DoNotExpandEnvironmentNames');` +
		`switch("$t"){'String'{$r.Type='REG_SZ';$r.Value=[string]$v}'ExpandString'{$r.Type='REG_EXPAND_SZ';$r.Value=[string]$v}` +
		`'DWord'{$r.Type='REG_DWORD';$r.Value=[string][BitConverter]::ToUInt32([BitConverter]::GetBytes([int32]$v),0)}` +
		`'QWord'{$r.Type='REG_QWORD';$r.Value=[string][BitConverter]::ToUInt64([BitConverter]::GetBytes([int64]$v),0)}` +
		`'Binary'{$r.Type='REG_BINARY';$r.Value=(@($v)|ForEach-Object{$_.ToString('x2')}) -join ''}` +
		`'MultiString'{$r.Type='REG_MULTI_SZ';$r.Value=@($v) -join "` + "`" + `n"}` +
		`default{$r.Type="UNKNOWN($([int]$t))";$r.Problem="unsupported registry value type: $t"}}` +
		`}catch{$r.Problem="reading registry value: $($_.Exception.Message)"}};ConvertTo-Json -Compress -InputObject $r`
}

// winRegistry is what psRegistry prints.
type winRegistry struct {
	Exists  bool
	Type    string
	Value   string
	Problem string // the value exists but cannot be read as goss reads it
}

func parseWinRegistry(data []byte) (winRegistry, error) {
	var r winRegistry
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(data))), &r); err != nil {
		return r, fmt.Errorf("unexpected PowerShell output: %w", err)
	}
	return r, nil
}

// planRegistry reads a registry value on a Windows host; elsewhere it is
// an error, as goss says ("registry resource is only supported on
// Windows"), and the check's other properties are skipped.
func planRegistry(s *RegistrySpec, g *gather) hostEval {
	if !g.windows() {
		return func() *observed { return failure("registry resource is only supported on Windows") }
	}
	p, err := parseRegistryPath(s.Key)
	if err != nil {
		return func() *observed { return failure(err.Error()) }
	}
	h := g.add("registry:"+p.Hive+`\`+p.SubKey+"::"+p.ValueName, "", psRegistry(p))
	return func() *observed {
		out, problem := g.output(h, "reading the registry")
		if problem != "" {
			return failure(problem)
		}
		r, err := parseWinRegistry(out)
		if err != nil {
			return failure(err.Error())
		}
		o := newObserved().set("exists", boolValue(r.Exists))
		if !r.Exists {
			o.absent = "no such registry value"
			return o
		}
		if r.Problem != "" {
			o.unavailable("value", r.Problem)
			if r.Type == "" {
				return o.unavailable("type", r.Problem)
			}
		} else {
			o.set("value", stringValue(r.Value))
		}
		return o.set("type", stringValue(r.Type))
	}
}
