#!/usr/bin/env bash
# A two-minute tour of remotectl exec on a throwaway fleet of 4 real OpenSSH hosts on
# loopback (bench/fleet.sh): a command that works everywhere, then one that fails, with
# a host that is down, to show the recap and the exit code. The fleet is stopped and
# everything removed on exit.
#
# Usage: scripts/demo.sh
# Needs Go; as root it installs openssh-server if missing and creates the fleet's
# login user (rcbench). Nothing in ~/.ssh is read or written.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# An address no fleet uses (fleets take 127.1.0.1 upwards): nothing listens there.
readonly DOWN_HOST=127.1.255.254
# Not bench/fleet.sh's default port, so the demo runs beside a benchmark.
readonly PORT=2200

tmp=$(mktemp -d /tmp/remotectl-demo.XXXXXX)
chmod 0755 "$tmp"
cleanup() {
  bench/fleet.sh stop "$tmp/fleet" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }

# show runs remotectl, echoing the command line first, and reports its exit code.
show() {
  printf '$ remotectl %s\n' "$*"
  local rc=0
  "$tmp/remotectl" "$@" || rc=$?
  printf '(exit code %d)\n' "$rc"
}

say "building remotectl"
go build -o "$tmp/remotectl" ./cmd/remotectl

say "starting 4 OpenSSH hosts on loopback"
bench/fleet.sh start 4 --port "$PORT" "$tmp/fleet"
inv=$tmp/fleet/inventory.yaml
sed -n '/^defaults:/,$p' "$inv"

say "one command on every host"
show exec -i "$inv" -H all --ssh-config none -- uname -n

say "a command that fails, on the fleet plus a host that is down"
# A second inventory adds the down host; remotectl merges both files.
printf 'hosts:\n  %s: { port: %s }\n' "$DOWN_HOST" "$PORT" >"$tmp/down.yaml"
show exec -i "$inv" -i "$tmp/down.yaml" -H all --ssh-config none --connect-timeout 5s -- ls /nonexistent
echo "Exit codes combine as bits: 1 = a command failed, 2 = a host was unreachable, 4 = a host timed out."
