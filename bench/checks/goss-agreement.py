#!/usr/bin/python3
"""Runs goss's own repository gossfiles with goss and with remotectl on this machine
and compares their verdicts assertion by assertion.

    bench/checks/goss-agreement.py --goss BIN --remotectl BIN --repo DIR [FILE...]

DIR is a checkout of goss's repository (its files are read, never changed; run from
anywhere); without FILEs, every *.yaml and *.yml in it is tried. Neither binary is
built here: build goss from its repository outside this one. Variables are those
goss's own tests use (integration-tests/goss/vars.yaml with --vars-inline, OS=bullseye;
docs/vars.yaml for docs/). Prints one line per file (what each tool said, and for
files both ran how many of goss's assertions remotectl judged alike), then every
difference and the totals. An assertion is (type, id, property) with goss's status:
pass, fail, error or skip. Exit 0.
"""

import argparse
import json
import os
import subprocess
import sys

# goss's names where remotectl's differ: resource types, and properties goss reports
# under another name.
TYPES = {"kernelparam": "kernel-param"}
PROPS = {"linkedto": "linked-to", "Headers": "headers", "Body": "body", "version": "versions"}


def goss_status(r):
    if r.get("skipped"):
        return "skip"
    if r.get("successful"):
        return "pass"
    return "error" if r.get("err") else "fail"


def run_goss(goss, path, vars_file, inline, env):
    cmd = [goss]
    if vars_file:
        cmd += ["--vars", vars_file]
    if inline:
        cmd += ["--vars-inline", inline]
    cmd += ["-g", path, "validate", "-f", "json", "--max-concurrent", "4"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return None, (p.stdout + p.stderr).strip()
    out = {}
    for r in doc["results"]:
        typ = r["resource-type"].lower()
        typ = TYPES.get(typ, typ)
        prop = PROPS.get(r["property"], r["property"])
        rid = r["resource-id"]
        if typ == "http" and ": " in rid and not rid.startswith("http"):
            rid = rid.split(": ", 1)[0]  # goss shows "ID: URL" when url: differs from the id
        if typ == "file" and prop == "contains":
            prop = "contents"  # goss's older name, which remotectl reports as contents
        out.setdefault((typ, rid, prop), []).append(goss_status(r))
    return out, None


def run_remotectl(rc, path, vars_file, inline, env):
    cmd = [rc, "check", "-o", "json", "--keep-runs", "0"]
    if vars_file:
        cmd += ["--vars", vars_file]
    if inline:
        cmd += ["--vars-inline", inline]
    cmd.append(path)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return None, (p.stdout + p.stderr).strip()
    out = {}
    for h in doc["hosts"]:
        for r in h.get("results") or []:
            out.setdefault((r["type"], r["id"], r["property"]), []).append((r["status"], r.get("message", "")))
    return out, None


def files_of(repo):
    for root, dirs, names in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for n in sorted(names):
            if n.endswith((".yaml", ".yml")) and not n.startswith("."):
                yield os.path.relpath(os.path.join(root, n), repo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--goss", required=True)
    ap.add_argument("--remotectl", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    goss, rc = os.path.abspath(args.goss), os.path.abspath(args.remotectl)
    os.chdir(args.repo)
    env = dict(os.environ, OS="bullseye")
    files = args.files or list(files_of("."))
    agree = total = both = 0
    only_goss, diffs = [], []
    for f in files:
        vars_file = inline = None
        if f.startswith("integration-tests"):
            vars_file, inline = "integration-tests/goss/vars.yaml", "{inline: bar, overwrite: bar}"
        elif f.startswith("docs"):
            vars_file = "docs/vars.yaml"
        g, gerr = run_goss(goss, f, vars_file, inline, env)
        r, rerr = run_remotectl(rc, f, vars_file, inline, env)
        if g is None or r is None:
            said_g = f"{sum(map(len, g.values()))} assertions" if g is not None else "refused: " + gerr.splitlines()[0][:120]
            said_r = f"{sum(map(len, r.values()))} assertions" if r is not None else "refused: " + rerr.splitlines()[0][:160]
            print(f"{f}: goss {said_g}; remotectl {said_r}")
            if g is not None:
                only_goss.append(f)
            continue
        both += 1
        fa = ft = 0
        for key, statuses in g.items():
            ft += len(statuses)
            got = [s for s, _ in r.get(key, [])][: len(statuses)]
            if sorted(got) == sorted(statuses):
                fa += len(statuses)
            else:
                diffs.append((f, key, statuses, r.get(key)))
        agree += fa
        total += ft
        print(f"{f}: both ran, {fa} of {ft} assertions alike")
    for d in diffs:
        print("DIFFERS", *d)
    pct = 100 * agree / total if total else 0
    print(f"files both ran: {both}; assertions alike: {agree} of {total} ({pct:.2f}%); "
          f"files goss ran and remotectl refused: {len(only_goss)} {only_goss}")


if __name__ == "__main__":
    sys.exit(main())
