#!/usr/bin/env bash
# Recipe for the test bed's base image: Debian 12 minbase via debootstrap, imported
# into Docker. Called by tests/bed/images.py with the tag to create as $1.
set -euo pipefail
tag=$1
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/docops-base.XXXXXX)
trap 'rm -rf "$root"' EXIT

command -v debootstrap >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
debootstrap --variant=minbase --include=python3,ca-certificates,iproute2,procps \
    bookworm "$root" "$mirror" >/dev/null
# Keep the image small: package lists and caches are rebuilt by whoever needs them.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
echo "deb $mirror bookworm main" > "$root/etc/apt/sources.list"
echo "deb $mirror bookworm-updates main" >> "$root/etc/apt/sources.list"
echo "deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main" \
    >> "$root/etc/apt/sources.list"
tar -C "$root" -c . | docker import \
    --change 'CMD ["/bin/bash"]' \
    --change 'LABEL org.opencontainers.image.title="docops test bed base (Debian 12)"' \
    - "$tag" >/dev/null
