#!/usr/bin/env bash
# Recipe for the test bed's base image: Debian 12 minbase via debootstrap, imported
# into Docker. Called by tests/bed/images.py with the tag to create as $1.
# `build.sh --mirrors` only prints the two mirrors it would use (images.py hashes them).
set -euo pipefail
suite=bookworm

# Print the first http(s) URI that this machine's apt sources use for suite $1 (type deb),
# from one-line *.list files and deb822 *.sources files; fail if there is none.
apt_source_uri() {
    local files=() file
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.{list,sources}; do
        [[ -f $file ]] && files+=("$file")
    done
    ((${#files[@]})) || return 1
    awk -v want="$1" '
        function has(list, word,   n, i, a) {
            n = split(list, a, /[ \t]+/)
            for (i = 1; i <= n; i++) if (a[i] == word) return 1
            return 0
        }
        function take(uri) {
            if (uri !~ /^https?:\/\//) return
            sub(/\/+$/, "", uri); print uri; found = 1; exit
        }
        function stanza(   n, i, a) {          # end of a deb822 paragraph
            if (tolower(enabled) ~ /^[ \t]*(no|false|off)[ \t]*$/) types = ""
            if (!found && has(types, "deb") && has(suites, want)) {
                n = split(uris, a, /[ \t]+/)
                for (i = 1; i <= n; i++) take(a[i])
            }
            types = uris = suites = enabled = field = ""
        }
        FNR == 1 { stanza() }
        FILENAME !~ /\.sources$/ {            # one-line: deb [options] URI suite component...
            sub(/#.*/, "")
            if ($1 != "deb") next
            i = 2
            if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == want) take($i)
            next
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { stanza(); next }
        {
            value = $0
            if ($0 !~ /^[ \t]/) {              # "Field: value"; indented lines continue a field
                field = tolower(substr($0, 1, index($0, ":") - 1))
                value = substr($0, index($0, ":") + 1)
            }
            if (field == "types") types = types " " value
            else if (field == "uris") uris = uris " " value
            else if (field == "suites") suites = suites " " value
            else if (field == "enabled") enabled = value
        }
        END { stanza(); exit !found }
    ' "${files[@]}"
}

# The mirrors come from this machine's own apt sources rather than a host name written
# here: the machine is already set up to reach its mirror (a local mirror, a caching proxy,
# an offline network), and the image keeps using the same mirror for later apt-get installs.
# DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR override.
no_source() { echo "build.sh: no apt source for $1 in this machine's /etc/apt; set $2" >&2; exit 1; }
mirror=${DEBIAN_MIRROR:-$(apt_source_uri "$suite")} || no_source "$suite" DEBIAN_MIRROR
security_mirror=${DEBIAN_SECURITY_MIRROR:-$(apt_source_uri "$suite-security")} ||
    no_source "$suite-security" DEBIAN_SECURITY_MIRROR
if [[ ${1-} == --mirrors ]]; then
    printf '%s\n' "$mirror" "$security_mirror"
    exit 0
fi

tag=$1
root=$(mktemp -d /var/tmp/docops-base.XXXXXX)
trap 'rm -rf "$root"' EXIT

command -v debootstrap >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
debootstrap --variant=minbase --include=python3,ca-certificates,iproute2,procps \
    "$suite" "$root" "$mirror" >/dev/null
# Keep the image small: package lists and caches are rebuilt by whoever needs them.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF
tar -C "$root" -c . | docker import \
    --change 'CMD ["/bin/bash"]' \
    --change 'LABEL org.opencontainers.image.title="docops test bed base (Debian 12)"' \
    - "$tag" >/dev/null
