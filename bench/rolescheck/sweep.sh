#!/usr/bin/env bash
# Sweep many playbooks through the oracle comparison of run.sh:
#
#   bench/rolescheck/sweep.sh INVENTORY.ini OUTDIR PLAYBOOK.yml...
#
# For each playbook: --syntax-check with ansible-playbook and with remotectl play (the
# refusal, if any, goes to OUTDIR/NAME.syntax.err), then, when both accept it, the check-mode
# run of run.sh (statuses, recap, diffs, items). Prints one line per playbook:
#   NAME syntax=ok|refused|ansible-refused/rc-X check=same|same-until-ansible-aborts|DIFF|-
# and writes the details to OUTDIR/NAME.cmp. remotectl is built once into OUTDIR/remotectl.
# MODE_ARGS (default "--check --diff") are the arguments of both runs: MODE_ARGS= compares
# real runs (only for playbooks whose tasks leave the hosts as they found them: the
# second tool runs on the state the first left). ANSIBLE_COLLECTIONS_PATH reaches
# ansible-playbook (e.g. the collections of Debian's ansible package, unpacked).
set -euo pipefail
mode_args=${MODE_ARGS---check --diff}
[ $# -ge 3 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
inv=$(realpath "$1") out=$(realpath -m "$2")
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$out"
(cd "$here/../.." && go build -o "$out/remotectl" ./cmd/remotectl)
printf '[defaults]\n' >"$out/empty.cfg"
for pb in "$@"; do
  pb=$(realpath "$pb")
  name=$(basename "$pb" .yml)
  dir=$(dirname "$pb")
  asyn=ok rsyn=ok chk=-
  (cd "$dir" && ANSIBLE_CONFIG=$out/empty.cfg ansible-playbook -i "$inv" --syntax-check "$pb") \
    >"$out/$name.ansible.syntax" 2>&1 || asyn=refused
  (cd "$dir" && "$out/remotectl" play -i "$inv" --syntax-check "$pb") \
    >"$out/$name.syntax.err" 2>&1 || rsyn=refused
  if [ $asyn = ok ] && [ $rsyn = ok ]; then
    (cd "$dir" && ANSIBLE_CONFIG=$out/empty.cfg ANSIBLE_STDOUT_CALLBACK=jl ANSIBLE_CALLBACK_PLUGINS=$here \
      timeout 900 ansible-playbook -i "$inv" $mode_args "$pb") >"$out/$name.ansible.jsonl" 2>"$out/$name.ansible.err" || true
    (cd "$dir" && timeout 900 "$out/remotectl" play -i "$inv" $mode_args -o jsonl "$pb") \
      >"$out/$name.remotectl.jsonl" 2>"$out/$name.remotectl.err" || true
    for c in status diff items; do
      python3 "$here/compare_$c.py" "$out/$name.ansible.jsonl" "$out/$name.remotectl.jsonl"
    done >"$out/$name.cmp" 2>&1 || true
    if grep -q 'DIFF\|^ANS \|^RC \|Traceback\| ANS ' "$out/$name.cmp"; then chk=DIFF
    elif grep -q 'ANSIBLE ABORTED' "$out/$name.cmp"; then chk=same-until-ansible-aborts
    else chk=same; fi
  fi
  syn=$rsyn
  [ $asyn = ok ] || syn=ansible-$asyn/rc-$rsyn
  echo "$name syntax=$syn check=$chk"
done
