#!/usr/bin/env bash
# Controller tools the test bed's checks need (Debian, run as root): Debian's testssl.sh (the
# `testssl` command, used by the nginx_proxy scenario's TLS check). Idempotent and quiet:
# installs only what is missing, runs apt-get update only when the package is not installable
# from the current lists; prints one line per package installed. Exits nonzero with a message
# when something cannot be installed.
set -euo pipefail

die() { echo "tools: $*" >&2; exit 1; }

# command -> Debian package
declare -A PACKAGES=([testssl]=testssl.sh)

missing=()
for command in "${!PACKAGES[@]}"; do
    command -v "$command" >/dev/null 2>&1 || missing+=("${PACKAGES[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${missing[*]} by hand (Debian packages)"
[ "$(id -u)" -eq 0 ] || die "must run as root to install ${missing[*]} (or install them by hand)"

export DEBIAN_FRONTEND=noninteractive

# A package is installable when the current lists give it a candidate version.
installable() {
    local candidate
    candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
    [ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}

need_update=0
for package in "${missing[@]}"; do
    installable "$package" || need_update=1
done
if [ $need_update -eq 1 ]; then
    apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed (is the Debian archive reachable?)"
    for package in "${missing[@]}"; do
        installable "$package" || die "no Debian package $package in the apt sources of this machine"
    done
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "apt-get install ${missing[*]} failed"
fi
for command in "${!PACKAGES[@]}"; do
    command -v "$command" >/dev/null 2>&1 || die "${PACKAGES[$command]} is installed but its command $command is not on PATH"
done
echo "tools: installed Debian's ${missing[*]}"
