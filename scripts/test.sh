#!/usr/bin/env bash
# Installs what the tests need, then runs every check: gofmt, go vet, go test -race.
# Usage: scripts/test.sh [go test flags...]   (e.g. scripts/test.sh -short)
set -euo pipefail
cd "$(dirname "$0")/.."

# Real peers the tests drive: OpenSSH's sshd (SSH fleet on loopback), sudo (become),
# Debian's pywinrm (an independent WinRM client proving our WS-Management test server),
# promtool (validates the Prometheus output), xmllint (validates the JUnit output against
# the shape of Jenkins's schema), nginx and dnsmasq (real peers of http, tls and dns checks),
# Debian's ansible-core (the oracle of playbook/jinja's and the modules' differential tests),
# MIT Kerberos (a KDC per test realm, kadmin.local, kinit) with requests-kerberos and
# python-gssapi (pywinrm's Kerberos, MIT's GSS-API wrap proving Kerberos message encryption),
# and the tools the modules drive on a target (curl, git, dpkg-dev to build a local apt
# repository, unzip, cron's crontab).
need=()
command -v /usr/sbin/sshd >/dev/null 2>&1 || need+=(openssh-server)
command -v sudo >/dev/null 2>&1 || need+=(sudo)
command -v pgrep >/dev/null 2>&1 || need+=(procps)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
/usr/bin/python3 -c 'import winrm' >/dev/null 2>&1 || need+=(python3-winrm)
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible-core)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v git >/dev/null 2>&1 || need+=(git)
command -v dpkg-scanpackages >/dev/null 2>&1 || need+=(dpkg-dev)
/usr/bin/python3 -c "import apt_pkg" >/dev/null 2>&1 || need+=(python3-apt) # the oracle of apt_repository
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v rpm >/dev/null 2>&1 || need+=(rpm)     # rpm_key and dnf's rpm queries
command -v gpg >/dev/null 2>&1 || need+=(gnupg)   # apt_key
/usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv) # pip's virtualenvs
command -v crontab >/dev/null 2>&1 || need+=(cron)
[ -x /usr/sbin/krb5kdc ] || need+=(krb5-kdc)
[ -x /usr/sbin/kadmin.local ] || need+=(krb5-admin-server)
[ -x /usr/bin/kinit ] || need+=(krb5-user)
/usr/bin/python3 -c 'import requests_kerberos' >/dev/null 2>&1 || need+=(python3-requests-kerberos)
/usr/bin/python3 -c 'import gssapi.raw' >/dev/null 2>&1 || need+=(python3-gssapi)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  echo "installing: ${need[*]}"
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
go test -race -count=1 -timeout 45m "$@" ./...
