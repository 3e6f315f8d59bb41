#!/bin/sh
# A subset of the official postgres image's docker-entrypoint.sh: on the first start in
# an empty data directory, create the cluster with POSTGRES_USER / POSTGRES_PASSWORD and
# the database POSTGRES_DB; then exec the server as PID 1 (it handles the stop signal).
set -eu

if [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi

user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}
auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

as_postgres() {
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
}

install -d -o postgres -g postgres -m 0700 "$PGDATA"
chown postgres:postgres "$PGDATA"
install -d -o postgres -g postgres -m 2775 /var/run/postgresql

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
        echo 'Error: Database is uninitialized and superuser password is not specified.' >&2
        echo '       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust).' >&2
        exit 1
    fi
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
    chown postgres "$pwfile"
    as_postgres initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host="$auth" \
        --encoding=UTF8 -D "$PGDATA"
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all $auth" >> "$PGDATA/pg_hba.conf"

    # Create the database on a server that listens on the socket only, like the official image.
    as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    if [ "$database" != postgres ]; then
        # psql quotes the name from a variable only in a script read from stdin, not with -c.
        echo 'CREATE DATABASE :"db";' | as_postgres psql -v ON_ERROR_STOP=1 --username="$user" \
            --dbname=postgres --set=db="$database"
    fi
    as_postgres pg_ctl -D "$PGDATA" -m fast -w stop
    echo 'PostgreSQL init process complete; ready for start up.'
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
