#!/usr/bin/env bash
# Oracle check of remotectl's modules with real roles, in check mode:
#
#   bench/rolescheck/run.sh INVENTORY.ini PLAYBOOK.yml OUTDIR
#
# runs ansible-playbook (a JSON-lines stdout callback, jl.py) and remotectl play -o jsonl,
# both with --check --diff, then compares per host and task: the status (ok, changed,
# skipped, failed), the recap, the diffs and the loop items' statuses. Check mode only:
# run it on hosts it may not change (the loopback fleet of bench/fleet.sh is this machine).
# remotectl is built into OUTDIR/remotectl first. ansible-core 2.14 needs an empty config
# (ANSIBLE_CONFIG=/dev/null is refused), written to OUTDIR/empty.cfg.
set -euo pipefail
[ $# -eq 3 ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
inv=$(realpath "$1") pb=$(realpath "$2") out=$(realpath -m "$3")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$out"
(cd "$here/../.." && go build -o "$out/remotectl" ./cmd/remotectl)
printf '[defaults]\n' >"$out/empty.cfg"
name=$(basename "$pb" .yml)
cd "$(dirname "$pb")"
ANSIBLE_CONFIG=$out/empty.cfg ANSIBLE_STDOUT_CALLBACK=jl ANSIBLE_CALLBACK_PLUGINS=$here \
  ansible-playbook -i "$inv" --check --diff "$pb" >"$out/$name.ansible.jsonl" 2>"$out/$name.ansible.err" || true
"$out/remotectl" play -i "$inv" --check --diff -o jsonl "$pb" >"$out/$name.remotectl.jsonl" 2>"$out/$name.remotectl.err" || true
for c in status diff items; do
  python3 "$here/compare_$c.py" "$out/$name.ansible.jsonl" "$out/$name.remotectl.jsonl"
done
