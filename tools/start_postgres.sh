#!/bin/sh
# A PostgreSQL server for the tests: Debian's postgresql (installed here if absent), a cluster in .pg/ (git-ignored)
# listening on 127.0.0.1 only, a role and a database `vipmg_test`. Idempotent: a running server is left as it is.
# Prints nothing on success but the URL the tests read (VIPMG_TEST_PG_URL); progress goes to stderr.
set -e
PORT="${VIPMG_PG_PORT:-55432}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${VIPMG_PG_DIR:-$HERE/.pg}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi

if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "Installing Debian's postgresql for the catalogue tests..." >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

# The server refuses to run as root: as root, the cluster belongs to Debian's `postgres` user.
as_owner() {
    if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$DIR"
if [ "$(id -u)" = "0" ]; then
    chown postgres "$DIR"
    # A clone under a private home (/root) is out of the postgres user's reach: the cluster goes to /tmp then.
    if ! runuser -u postgres -- test -w "$DIR"; then
        DIR="/tmp/vipmg-pg-$(printf %s "$HERE" | cksum | cut -d ' ' -f 1)"
        mkdir -p "$DIR" && chown postgres "$DIR"
    fi
fi
# A server already answering on the port (this clone's, or another checkout's on the same machine) is shared:
# every test works in a schema of its own.
if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
        echo "Creating a PostgreSQL cluster in $DIR/data..." >&2
        as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    # Room for the tests' pools (processes x threads), little memory; fsync off: a crash loses test data only.
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
        -o "-h 127.0.0.1 -p $PORT -k $DIR -c max_connections=200 -c shared_buffers=32MB -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off" >/dev/null
fi
psql() { "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'vipmg_test'")" != "1" ]; then
    psql -d postgres -c "CREATE ROLE vipmg_test LOGIN" >/dev/null
fi
if [ "$(psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'vipmg_test'")" != "1" ]; then
    psql -d postgres -c "CREATE DATABASE vipmg_test OWNER vipmg_test" >/dev/null
fi
echo "postgresql://vipmg_test@127.0.0.1:$PORT/vipmg_test"
