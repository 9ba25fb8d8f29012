#!/usr/bin/env bash
# A local ChatCluster in cluster mode: 2 silos + 2 gateways on PostgreSQL and Redis (docs/cluster.md).
#   scripts/cluster.sh start | stop | status
# Settings (environment):
#   CHATCLUSTER_POSTGRES  Npgsql connection string   (default: local database "chatcluster", role chatcluster)
#   CHATCLUSTER_REDIS     Redis configuration string  (default: 127.0.0.1:6379; started here if nothing listens)
#   CHATCLUSTER_RUN       run folder: pids, logs, generated secrets (default: artifacts/cluster)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${CHATCLUSTER_RUN:-$ROOT/artifacts/cluster}"
POSTGRES="${CHATCLUSTER_POSTGRES:-Host=127.0.0.1;Port=5432;Database=chatcluster;Username=chatcluster;Password=chatcluster}"
REDIS="${CHATCLUSTER_REDIS:-127.0.0.1:6379}"
CONFIG="${CHATCLUSTER_CONFIGURATION:-Debug}"
SILO_DLL="$ROOT/silo/ChatCluster.Silo/bin/$CONFIG/net10.0/ChatCluster.Silo.dll"
GATEWAY_DLL="$ROOT/client-gateway/bin/$CONFIG/net10.0/ChatCluster.Gateway.dll"

# name  silo-port  gateway-port  http-port
SILOS=("silo1 11111 30000 5101" "silo2 11112 30001 5102")
# name  http-port
GATEWAYS=("gateway1 5080" "gateway2 5081")

alive() { [[ -f "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

wait_healthy() { # name url
  for _ in $(seq 1 120); do
    if curl -fs -o /dev/null "$2"; then echo "  $1 healthy at $2"; return 0; fi
    if ! alive "$1"; then echo "  $1 exited; see $RUN/$1.log" >&2; tail -n 20 "$RUN/$1.log" >&2; return 1; fi
    sleep 0.5
  done
  echo "  $1 not healthy after 60 s; see $RUN/$1.log" >&2; return 1
}

ensure_redis() {
  local host="${REDIS%%,*}"; local port="${host##*:}"; host="${host%:*}"
  if redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1; then return 0; fi
  echo "starting redis-server on $host:$port"
  redis-server --bind "$host" --port "$port" --save "" --appendonly no --daemonize yes \
    --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" >/dev/null
  for _ in $(seq 1 40); do redis-cli -h "$host" -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "redis-server did not start; see $RUN/redis.log" >&2; return 1
}

ensure_database() {
  # Create the database when psql can (the role needs CREATEDB); otherwise migrate reports what is wrong.
  command -v psql >/dev/null || return 0
  local db; db="$(sed -n 's/.*Database=\([^;]*\).*/\1/p' <<<"$POSTGRES")"
  local host; host="$(sed -n 's/.*Host=\([^;]*\).*/\1/p' <<<"$POSTGRES")"
  local user; user="$(sed -n 's/.*Username=\([^;]*\).*/\1/p' <<<"$POSTGRES")"
  local pass; pass="$(sed -n 's/.*Password=\([^;]*\).*/\1/p' <<<"$POSTGRES")"
  [[ -n "$db" && -n "$host" && -n "$user" ]] || return 0
  if ! PGPASSWORD="$pass" psql -h "$host" -U "$user" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" 2>/dev/null | grep -q 1; then
    PGPASSWORD="$pass" psql -h "$host" -U "$user" -d postgres -qc "CREATE DATABASE \"$db\"" 2>/dev/null && echo "created database $db" || true
  fi
}

start() {
  mkdir -p "$RUN"
  for p in "${SILOS[@]}" "${GATEWAYS[@]}"; do
    set -- $p
    if alive "$1"; then echo "$1 is already running (pid $(cat "$RUN/$1.pid")); run '$0 stop' first" >&2; exit 1; fi
  done

  echo "building"
  dotnet build "$ROOT/silo/ChatCluster.Silo" -c "$CONFIG" -v quiet -nologo >/dev/null
  dotnet build "$ROOT/client-gateway" -c "$CONFIG" -v quiet -nologo >/dev/null

  [[ -f "$RUN/secrets.env" ]] || {
    echo "CHATCLUSTER_OPERATOR_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
    echo "CHATCLUSTER_SIGNING_KEY=$(head -c 32 /dev/urandom | base64)"
  } >"$RUN/secrets.env"
  grep -q CHATCLUSTER_ENCRYPTION_KEY "$RUN/secrets.env" || echo "CHATCLUSTER_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)" >>"$RUN/secrets.env"
  grep -q CHATCLUSTER_EMAIL_INDEX_KEY "$RUN/secrets.env" || echo "CHATCLUSTER_EMAIL_INDEX_KEY=$(head -c 32 /dev/urandom | base64)" >>"$RUN/secrets.env"
  # shellcheck disable=SC1091
  source "$RUN/secrets.env"

  ensure_redis
  ensure_database
  echo "migrating"
  ChatCluster__Postgres__ConnectionString="$POSTGRES" dotnet "$SILO_DLL" migrate

  export ChatCluster__Postgres__ConnectionString="$POSTGRES"
  export ChatCluster__Silo__ClusterId="${CHATCLUSTER_CLUSTER_ID:-chatcluster-local}"
  export ChatCluster__Silo__ServiceId="${CHATCLUSTER_CLUSTER_ID:-chatcluster-local}"
  for s in "${SILOS[@]}"; do
    set -- $s
    ChatCluster__Silo__Storage=Postgres ChatCluster__Silo__SiloPort="$2" ChatCluster__Silo__GatewayPort="$3" \
    ChatCluster__Silo__AdvertisedAddress=127.0.0.1 \
    ChatCluster__Encryption__Keys__k1="$CHATCLUSTER_ENCRYPTION_KEY" ChatCluster__Encryption__ActiveKeyId=k1 \
    ChatCluster__Privacy__EmailIndexKey="$CHATCLUSTER_EMAIL_INDEX_KEY" \
      nohup dotnet "$SILO_DLL" --urls "http://127.0.0.1:$4" >"$RUN/$1.log" 2>&1 &
    echo $! >"$RUN/$1.pid"
    echo "$1: pid $!, silo port $2, gateway port $3, http://127.0.0.1:$4/health"
  done
  for s in "${SILOS[@]}"; do set -- $s; wait_healthy "$1" "http://127.0.0.1:$4/health"; done

  for g in "${GATEWAYS[@]}"; do
    set -- $g
    ChatCluster__Gateway__Mode=Client ChatCluster__Gateway__OperatorKey="$CHATCLUSTER_OPERATOR_KEY" \
    ChatCluster__Auth__SigningKey="$CHATCLUSTER_SIGNING_KEY" ChatCluster__Redis__ConnectionString="$REDIS" \
      nohup dotnet "$GATEWAY_DLL" --contentRoot "$ROOT/client-gateway" --urls "http://127.0.0.1:$2" >"$RUN/$1.log" 2>&1 &
    echo $! >"$RUN/$1.pid"
    echo "$1: pid $!, http://127.0.0.1:$2"
  done
  for g in "${GATEWAYS[@]}"; do set -- $g; wait_healthy "$1" "http://127.0.0.1:$2/health"; done
  echo "cluster up; operator key in $RUN/secrets.env"
}

stop_one() { # name
  alive "$1" || { rm -f "$RUN/$1.pid"; return 0; }
  local pid; pid="$(cat "$RUN/$1.pid")"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { echo "$1 stopped"; rm -f "$RUN/$1.pid"; return 0; }; sleep 0.5; done
  echo "$1 did not stop in 30 s; killing" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RUN/$1.pid"
}

stop() {
  # Gateways first: they drain their sockets (reconnect frames) while the silos still serve.
  for g in "${GATEWAYS[@]}"; do set -- $g; stop_one "$1"; done
  for s in "${SILOS[@]}"; do set -- $s; stop_one "$1"; done
  if [[ -f "$RUN/redis.pid" ]]; then
    kill -TERM "$(cat "$RUN/redis.pid")" 2>/dev/null && echo "redis stopped" || true
    rm -f "$RUN/redis.pid"
  fi
}

status() {
  for s in "${SILOS[@]}"; do
    set -- $s
    if alive "$1"; then echo "$1 running (pid $(cat "$RUN/$1.pid")): $(curl -sS "http://127.0.0.1:$4/health" 2>&1)"; else echo "$1 stopped"; fi
  done
  for g in "${GATEWAYS[@]}"; do
    set -- $g
    if alive "$1"; then echo "$1 running (pid $(cat "$RUN/$1.pid")): $(curl -sS "http://127.0.0.1:$2/health" 2>&1)"; else echo "$1 stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
