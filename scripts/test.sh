#!/usr/bin/env bash
# Runs the whole ChatCluster test suite. Installs and starts what the tests need (PostgreSQL, Redis,
# Chromium, from Debian's packages) when they are missing, then prints "N passed, N failed".
# Test projects run one after another (-m:1): on a 2-core machine, browser, cluster and load-test
# smoke tests running side by side starve each other.
# Usage: scripts/test.sh [extra dotnet test arguments]
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

say "starting PostgreSQL"
pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1)
if [ -z "$pg_version" ]; then echo "PostgreSQL is not installed and could not be installed." >&2; exit 1; fi
if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
  pg_lsclusters -h 2>/dev/null | grep -q . || as_root pg_createcluster "$pg_version" main >/dev/null
  as_root pg_ctlcluster "$pg_version" main start
fi
for _ in $(seq 1 30); do as_root su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break; sleep 1; done
as_root su postgres -c "psql -qtAc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='chatcluster') THEN CREATE ROLE chatcluster LOGIN SUPERUSER PASSWORD 'chatcluster'; END IF; END\\\$\\\$;\"" >/dev/null
export CHATCLUSTER_TEST_POSTGRES="${CHATCLUSTER_TEST_POSTGRES:-Host=127.0.0.1;Port=5432;Username=chatcluster;Password=chatcluster;Database=postgres}"

say "starting Redis"
if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
fi
export CHATCLUSTER_TEST_REDIS="${CHATCLUSTER_TEST_REDIS:-127.0.0.1:6379}"
export CHATCLUSTER_TEST_CHROMIUM="${CHATCLUSTER_TEST_CHROMIUM:-/usr/bin/chromium}"

say "building"
dotnet build ChatCluster.sln -c Release -nologo -v quiet || exit 1

say "testing"
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
log="$results/dotnet-test.log"
dotnet test ChatCluster.sln -c Release --no-build -nologo -m:1 --logger "trx" --results-directory "$results" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One closing line over every test assembly: "N passed, N failed".
passed=0; failed=0; skipped=0
while read -r f p s; do
  failed=$((failed + f)); passed=$((passed + p)); skipped=$((skipped + s))
done < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
