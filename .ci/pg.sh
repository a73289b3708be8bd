#!/usr/bin/env bash
# Throw-away PostgreSQL cluster for the tests: `.ci/pg.sh start` installs
# the server from Debian if it is missing, creates a cluster in
# $WASMPLUG_PG_DIR (default /tmp/wasmplug-pg) owned by the postgres user
# (initdb refuses root), starts it on 127.0.0.1:$WASMPLUG_PG_PORT (default
# 55432) with trust authentication for loopback, and prints the DSN the
# tests read from WASMPLUG_PG_DSN. `.ci/pg.sh stop` stops it and removes it.
set -euo pipefail
dir=${WASMPLUG_PG_DIR:-/tmp/wasmplug-pg}
port=${WASMPLUG_PG_PORT:-55432}

bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
	return 1
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "${1:-}" in
start)
	if ! bin=$(bindir); then
		echo "== installing postgresql from Debian" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
		bin=$(bindir)
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
	fi
	if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
		exit 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	if bin=$(bindir) && [ -d "$dir/data" ]; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
