#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine (install Debian's docker.io and start
# dockerd when none does) and that debootstrap is there. Idempotent; prints what it did.
set -euo pipefail

engine_answers() { docker info >/dev/null 2>&1; }

# Host tools the test bed needs: debootstrap for the base image, and an engine when none answers.
missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
engine_answers || command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
if [ ${#missing[@]} -gt 0 ]; then
    echo "engine: installing Debian's ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if engine_answers; then
    echo "engine: a Docker engine already answers ($(docker version -f '{{.Server.Version}}'))"
    exit 0
fi

if command -v systemctl >/dev/null 2>&1 && [ "$(ps -p 1 -o comm=)" = systemd ]; then
    systemctl start docker
else
    echo "engine: starting dockerd (log: /var/log/dockerd-testbed.log)"
    # setsid: a dockerd in its own session outlives the shell (and process group) that started it.
    setsid nohup dockerd --storage-driver overlay2 >/var/log/dockerd-testbed.log 2>&1 < /dev/null &
fi

for _ in $(seq 1 60); do
    if engine_answers; then
        echo "engine: ready ($(docker version -f '{{.Server.Version}}'))"
        exit 0
    fi
    sleep 1
done
echo "engine: dockerd did not answer within 60 s; last log lines:" >&2
tail -n 20 /var/log/dockerd-testbed.log >&2 || true
exit 1
