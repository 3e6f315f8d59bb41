#!/bin/sh
# A subset of the official rabbitmq image's entrypoint: RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS become the user created when the data directory is empty; the
# broker runs as user rabbitmq and is exec'd as PID 1 (its start script stops the node
# cleanly on SIGTERM).
set -eu

if [ "${1#-}" != "$1" ]; then
    set -- rabbitmq-server "$@"
fi
if [ "$1" != rabbitmq-server ]; then
    exec "$@"
fi
shift

# An Erlang binary string, so that any character of a password is kept as it is.
erlang_string() {
    printf '<<"%s"/utf8>>' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

if [ -n "${RABBITMQ_DEFAULT_USER:-}" ] || [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then
    config=/etc/rabbitmq/advanced.config
    printf '[{rabbit, [{default_user, %s}, {default_pass, %s}]}].\n' \
        "$(erlang_string "${RABBITMQ_DEFAULT_USER:-guest}")" \
        "$(erlang_string "${RABBITMQ_DEFAULT_PASS:-guest}")" > "$config"
    chown root:rabbitmq "$config"
    chmod 0640 "$config"
fi

chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
