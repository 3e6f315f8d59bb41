#!/bin/sh
# A subset of the official redis image's docker-entrypoint.sh: options alone mean
# `redis-server <options>`; the server runs as user redis and is exec'd as PID 1 (it
# handles SIGTERM: save and exit).
set -eu

if [ "${1#-}" != "$1" ]; then
    set -- redis-server "$@"
fi
if [ "$1" != redis-server ]; then
    exec "$@"
fi
shift

# The official image builds Redis with protected mode off, so that other containers can
# connect; Debian's build keeps it on. Turn it off unless a configuration file is given
# (redis-server takes that only as its first argument), which then decides.
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- --protected-mode no "$@"
fi

chown -R redis:redis /data
exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$@"
