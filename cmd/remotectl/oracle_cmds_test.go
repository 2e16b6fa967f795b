package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// Commands of the scripts that compare remotectl play with ansible-playbook,
// the oracle (testdata/ssh/ansible_*.txtar):
//
//	samestate DIR1 DIR2   the two trees hold the same paths, types, modes,
//	                      link targets and file contents
//	samerecap OUT1 OUT2   the PLAY RECAPs printed in the two files (the
//	                      stdout of ansible-playbook and of remotectl play)
//	                      give every host the same ok, changed, unreachable,
//	                      failed, skipped, rescued and ignored counts
func sameState(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samestate DIR1 DIR2")
	}
	a, b := treeState(ts, ts.MkAbs(args[0])), treeState(ts, ts.MkAbs(args[1]))
	diff := diffLines(a, b)
	if neg && diff == "" {
		ts.Fatalf("%s and %s are the same", args[0], args[1])
	}
	if !neg && diff != "" {
		ts.Fatalf("%s (-) and %s (+) differ:\n%s", args[0], args[1], diff)
	}
}

// treeState describes every path under root, one line each, sorted.
func treeState(ts *testscript.TestScript, root string) []string {
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v", rel, info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			line += " " + hex.EncodeToString(sum[:8])
			if len(data) < 200 {
				line += fmt.Sprintf(" %q", data)
			}
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		ts.Fatalf("%v", err)
	}
	slices.Sort(lines)
	return lines
}

var recapLine = regexp.MustCompile(`^(\S+)\s+:?\s*((?:\w+=\d+\s*)+)$`)

func sameRecap(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samerecap OUT1 OUT2")
	}
	a, b := recapOf(ts, args[0]), recapOf(ts, args[1])
	if len(a) == 0 {
		ts.Fatalf("no PLAY RECAP in %s", args[0])
	}
	diff := diffLines(a, b)
	if neg && diff == "" {
		ts.Fatalf("the recaps are the same")
	}
	if !neg && diff != "" {
		ts.Fatalf("the recaps of %s (-) and %s (+) differ:\n%s", args[0], args[1], diff)
	}
}

// recapOf returns "host ok=N changed=N ..." for each host of the last PLAY
// RECAP in the file, the counts in Ansible's order, sorted by host.
func recapOf(ts *testscript.TestScript, name string) []string {
	text := ts.ReadFile(name)
	i := strings.LastIndex(text, "PLAY RECAP")
	if i < 0 {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(text[i:], "\n")[1:] {
		m := recapLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		counts := map[string]string{}
		for _, kv := range strings.Fields(m[2]) {
			k, v, _ := strings.Cut(kv, "=")
			counts[k] = v
		}
		line := m[1]
		for _, k := range []string{"ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"} {
			v := counts[k]
			if v == "" {
				v = "0"
			}
			line += " " + k + "=" + v
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return lines
}

// diffLines lists the lines only in a (-) and only in b (+).
func diffLines(a, b []string) string {
	var out strings.Builder
	for _, l := range a {
		if !slices.Contains(b, l) {
			out.WriteString("- " + l + "\n")
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out.WriteString("+ " + l + "\n")
		}
	}
	return out.String()
}
