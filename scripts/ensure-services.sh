#!/usr/bin/env bash
# Start the local services the test suites use, if they are installed and down.
# Machines without them just get a note: those tests skip (under CI=true they fail).
set -u

wait_for() {  # name, check command
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then echo "  $name: up"; return 0; fi
    sleep 0.5
  done
  echo "  $name: did not come up"; return 1
}

echo "checking local services:"

if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "  PostgreSQL: starting"
    if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
  fi
  wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
else
  echo "  PostgreSQL: not installed here (its tests will skip)"
fi

if command -v mysqladmin >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
  ping_mariadb() { mysqladmin --connect-timeout=2 -h 127.0.0.1 -P 3306 -u root ping; }
  if ! ping_mariadb >/dev/null 2>&1; then
    echo "  MariaDB: starting"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  fi
  wait_for MariaDB ping_mariadb
else
  echo "  MariaDB: not installed here (its tests will skip)"
fi

exit 0
