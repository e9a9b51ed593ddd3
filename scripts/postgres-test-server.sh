#!/bin/sh
# A throwaway PostgreSQL for the store's contract tests, on 127.0.0.1 only.
#   scripts/postgres-test-server.sh start   prints the URL to put in RINGDESK_TEST_POSTGRES
#   scripts/postgres-test-server.sh stop
set -e
state=${RINGDESK_PG_DIR:-/tmp/ringdesk-test-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() {
	if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
case "$1" in
start)
	if [ -f "$state/port" ] && as_pg "$bin/pg_ctl -D $state/data status" >/dev/null 2>&1; then
		echo "postgres://postgres@127.0.0.1:$(cat "$state/port")/postgres?sslmode=disable"
		exit 0
	fi
	rm -rf "$state"
	mkdir -p "$state"
	[ "$(id -u)" = 0 ] && chown postgres "$state"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	as_pg "$bin/initdb -D $state/data -U postgres -A trust -E UTF8 --locale=C.UTF-8" >/dev/null
	as_pg "$bin/pg_ctl -D $state/data -l $state/log -w -o '-h 127.0.0.1 -p $port -k $state -c fsync=off -c synchronous_commit=off -c max_connections=200' start" >/dev/null
	echo "$port" > "$state/port"
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	[ -d "$state/data" ] && as_pg "$bin/pg_ctl -D $state/data -m immediate stop" >/dev/null 2>&1 || true
	rm -rf "$state"
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
