package module

import (
	"context"
	"path"
	"strings"
)

// winStatScript reports each of $p.paths (environment variables expanded,
// as Ansible's path type on Windows; an empty path does not exist): whether it exists, its type, times
// (FILETIME ticks), attributes, owner, size and the checksum $p.checksum
// names (none when empty).
const winStatScript = `$items = @()
foreach ($path in $p.paths) {
    $s = @{ path = $path; exists = $false }
    if (-not $path) {
        $items += $s
        continue
    }
    $path = [Environment]::ExpandEnvironmentVariables($path)
    $i = Get-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
    if ($null -ne $i) {
        $s.exists = $true
        $s.path = $i.FullName
        $s.name = $i.Name
        $s.extension = $i.Extension
        $s.isdir = $i.PSIsContainer
        $s.attributes = [string]$i.Attributes
        $s.linktype = [string]$i.LinkType
        $s.target = @($i.Target) -join ''
        $s.lastwrite = $i.LastWriteTimeUtc.ToFileTimeUtc()
        $s.creation = $i.CreationTimeUtc.ToFileTimeUtc()
        $s.lastaccess = $i.LastAccessTimeUtc.ToFileTimeUtc()
        $s.owner = (Get-Acl -LiteralPath $i.FullName -ErrorAction SilentlyContinue).Owner
        if ($i.PSIsContainer) {
            $wql = $i.FullName -replace '\\', '\\' -replace "'", "\'"
            $s.share = @(Get-CimInstance -ClassName Win32_Share -Filter "Path='$wql'" | ForEach-Object { $_.Name }) -join ','
            if ($p.size) {
                $n = 0
                foreach ($f in Get-ChildItem -LiteralPath $i.FullName -Recurse -Force -File) { $n += $f.Length }
                $s.size = $n
            }
        } else {
            $s.size = $i.Length
            if ($p.checksum) {
                $s.checksum = (Get-FileHash -LiteralPath $i.FullName -Algorithm $p.checksum).Hash.ToLower()
            }
        }
    }
    $items += $s
}
Write-Result @{ items = $items }
`

// winStat is one path as winStatScript reports it.
type winStat struct {
	Path       string `json:"path"`
	Exists     bool   `json:"exists"`
	Name       string `json:"name"`
	Extension  string `json:"extension"`
	IsDir      bool   `json:"isdir"`
	Attributes string `json:"attributes"`
	LinkType   string `json:"linktype"`
	Target     string `json:"target"`
	LastWrite  int64  `json:"lastwrite"`
	Creation   int64  `json:"creation"`
	LastAccess int64  `json:"lastaccess"`
	Owner      string `json:"owner"`
	Size       *int64 `json:"size"`
	Checksum   string `json:"checksum"`
	Share      string `json:"share"` // the names of the shares of a directory, comma-separated
}

// hasAttr reports whether the item has a FileAttributes flag.
func (s winStat) hasAttr(name string) bool {
	for _, a := range strings.Split(s.Attributes, ",") {
		if strings.EqualFold(strings.TrimSpace(a), name) {
			return true
		}
	}
	return false
}

// statWindows reports paths with one script; checksum is an algorithm
// (sha1...) or "" for none.
func statWindows(ctx context.Context, h Host, paths []string, checksum string, size bool) ([]winStat, error) {
	var out struct {
		Items []winStat `json:"items"`
	}
	err := runPS(ctx, h, winStatScript, map[string]any{"paths": paths, "checksum": checksum, "size": size}, &out)
	return out.Items, err
}

// fileTimeEpoch converts FILETIME ticks (100 ns since 1601) to seconds
// since 1970, as win_stat's times.
func fileTimeEpoch(ticks int64) float64 {
	return float64(ticks-116444736000000000) / 1e7
}

func winStatModule() *Module {
	return &Module{Name: "win_stat", Collection: "ansible.windows", Windows: true, Check: CheckFull,
		Params: []Param{
			{Name: "path", Aliases: []string{"dest", "name"}, Type: Path, Required: true},
			{Name: "get_checksum", Type: Bool, Default: true},
			{Name: "get_size", Type: Bool, Default: true},
			{Name: "checksum_algorithm", Type: Str, Default: "sha1", Choices: []string{"md5", "sha1", "sha256", "sha384", "sha512"}},
			{Name: "follow", Type: Bool, Default: false},
		},
		Run: runWinStat}
}

// runWinStat is win_stat: its stat keys are ansible.windows' (hlnk_targets
// and nlink are not reported: they need Win32 APIs the scripts do not
// call).
func runWinStat(ctx context.Context, c *Call) (Result, error) {
	if c.Args.Bool("follow") {
		return Failed("win_stat: follow: true is not implemented by remotectl (links are reported, not followed)"), nil
	}
	alg := ""
	if c.Args.Bool("get_checksum") {
		alg = c.Args.Str("checksum_algorithm")
	}
	items, err := statWindows(ctx, c.Host, []string{c.Args.Str("path")}, alg, c.Args.Bool("get_size"))
	if err != nil {
		return psFailed(err, nil)
	}
	st := items[0]
	if !st.Exists {
		return Result{"changed": false, "stat": map[string]any{"exists": false}}, nil
	}
	isLink := st.LinkType == "SymbolicLink"
	isJunction := st.LinkType == "Junction"
	stat := map[string]any{
		"exists":         true,
		"path":           st.Path,
		"attributes":     st.Attributes,
		"owner":          st.Owner,
		"creationtime":   fileTimeEpoch(st.Creation),
		"lastaccesstime": fileTimeEpoch(st.LastAccess),
		"lastwritetime":  fileTimeEpoch(st.LastWrite),
		"isarchive":      st.hasAttr("Archive"),
		"isdir":          st.IsDir,
		"ishidden":       st.hasAttr("Hidden"),
		"isreadonly":     st.hasAttr("ReadOnly"),
		"islnk":          isLink,
		"isjunction":     isJunction,
		"isreg":          !st.IsDir && !isLink && !isJunction,
		"isshared":       st.Share != "",
	}
	if st.Share != "" {
		stat["sharename"] = st.Share
	}
	if st.Size != nil && !isLink && !isJunction {
		stat["size"] = *st.Size
	}
	if !st.IsDir {
		stat["filename"] = st.Name
		stat["extension"] = st.Extension
		if st.Checksum != "" {
			stat["checksum"] = st.Checksum
		}
	}
	if isLink || isJunction {
		stat["lnk_target"] = st.Target
		stat["lnk_source"] = st.Target
		if !strings.Contains(st.Target, ":") && !strings.HasPrefix(st.Target, `\`) {
			stat["lnk_source"] = path.Clean(strings.ReplaceAll(winJoin(winParent(st.Path), st.Target), `\`, "/"))
			stat["lnk_source"] = strings.ReplaceAll(stat["lnk_source"].(string), "/", `\`)
		}
	}
	return Result{"changed": false, "stat": stat}, nil
}
