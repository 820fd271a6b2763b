#!/usr/bin/env bash
# Installs and starts the services Rapport's CI tests need, on a bare Debian
# bookworm machine (run as root, no systemd needed):
#   - PostgreSQL 15 with pgvector (built from Debian trixie's source package,
#     because bookworm has no pgvector package), role/db rapport/rapport_test
#   - Redis on 127.0.0.1:6379
#   - ffmpeg, build tools
#   - Chromium, for the web app's browser tests (Playwright drives /usr/bin/chromium)
# Idempotent: a second run skips every step that is already done (~0.3 s).
# Logs of the noisy steps go to $CI_SERVICES_LOG_DIR (default
# /tmp/rapport-ci-services); their tail is printed when a step fails.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
# A locale that always exists on Debian (glibc >= 2.35 ships C.UTF-8 built in):
# avoids perl "Setting locale failed" warnings from the pg_* wrappers and makes
# a cluster created by the postgresql-15 postinst use UTF8, not SQL_ASCII.
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset LANGUAGE || true
# No "NOTICE: ... already exists, skipping" noise from the idempotent SQL.
export PGOPTIONS="-c client_min_messages=warning"

PG_VERSION=15
PG_CLUSTER=main
PG_PORT=5432
PG_BIN=/usr/lib/postgresql/${PG_VERSION}/bin
PG_CONFIG=${PG_BIN}/pg_config
DB_USER=rapport
DB_PASSWORD=rapport
DB_NAME=rapport_test
REDIS_PORT=6379
PACKAGES=(postgresql-15 postgresql-server-dev-15 redis-server redis-tools
          build-essential dpkg-dev ffmpeg ca-certificates chromium
          pocketsphinx pocketsphinx-en-us)

LOG_DIR=${CI_SERVICES_LOG_DIR:-/tmp/rapport-ci-services}
mkdir -p "$LOG_DIR"

if [[ $(id -u) -ne 0 ]]; then
  echo "services.sh: must run as root" >&2
  exit 1
fi

# ---------------------------------------------------------------- helpers
TMP_DIRS=()
cleanup() { local d; for d in "${TMP_DIRS[@]}"; do rm -rf -- "$d"; done; }
trap cleanup EXIT

TIMINGS=()
STEP_NAME=""
STEP_START=""
step_begin() {
  STEP_NAME=$1
  STEP_START=$EPOCHREALTIME
  echo "==> $STEP_NAME"
}
step_end() {
  local secs
  secs=$(awk -v a="$STEP_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  TIMINGS+=("$(printf '%-38s %6ss' "$STEP_NAME" "$secs")")
}

# run_logged LOGFILE CMD...: run CMD with all output appended to LOGFILE; on
# failure print the tail of LOGFILE and exit.
run_logged() {
  local log=$1; shift
  echo "+ $*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "services.sh: FAILED: $*" >&2
    echo "---- last 40 lines of $log ----" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

as_postgres() { (cd / && runuser -u postgres -- "$@"); }
psql_su() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }

# Prints "URI<TAB>SIGNED_BY" of the machine's main Debian archive entry (the
# one serving bookworm itself, not -security/-updates), read from
# /etc/apt/sources.list.d/*.sources (deb822) or /etc/apt/sources.list.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ &&
            tolower(enabled) != "no" && uris != "") {
          split(uris, u, " "); print u[1] "\t" signed; found = 1; exit
        }
        types = suites = uris = signed = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = $1; sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        k = tolower(key)
        if (k == "types") types = val
        else if (k == "suites") suites = val
        else if (k == "uris") uris = val
        else if (k == "signed-by") signed = val
        else if (k == "enabled") enabled = val
      }
      END { if (!found) flush() }
    ' "$f" | head -n 1
  done
  if [[ -f /etc/apt/sources.list ]]; then
    # deb [opts] URI bookworm comp...
    awk '
      /^[ \t]*deb[ \t]/ {
        i = 2
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == "bookworm") { print $i "\t"; exit }
      }' /etc/apt/sources.list
  fi
}

# ------------------------------------------------ 1. Debian packages
step_begin "apt packages"
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "    installing: ${missing[*]}"
  run_logged "$LOG_DIR/apt.log" apt-get -qq update
  run_logged "$LOG_DIR/apt.log" apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${PACKAGES[@]}"
else
  echo "    all installed"
fi
step_end

# ------------------------------------------------ 2. pgvector from trixie source
step_begin "pgvector (build from trixie source)"
if [[ -f /usr/share/postgresql/${PG_VERSION}/extension/vector.control ]]; then
  echo "    already installed"
else
  mirror_line=$(debian_mirror | head -n 1)
  mirror_uri=${mirror_line%%$'\t'*}
  mirror_key=${mirror_line#*$'\t'}
  if [[ -z $mirror_uri ]]; then
    echo "services.sh: no Debian bookworm mirror found in /etc/apt/sources.list{,.d/*.sources}" >&2
    exit 1
  fi
  # trixie's Release is signed with trixie keys: prefer the full archive
  # keyring (bookworm's debian-archive-keyring ships the trixie keys).
  if [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]]; then
    mirror_key=/usr/share/keyrings/debian-archive-keyring.gpg
  fi
  opt=""
  [[ -n $mirror_key && -f $mirror_key ]] && opt=" [signed-by=$mirror_key]"
  echo "    mirror: $mirror_uri"

  work=$(mktemp -d /tmp/pgvector-build.XXXXXX)
  TMP_DIRS+=("$work")
  chmod 755 "$work"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
  echo "deb-src${opt} ${mirror_uri%/} trixie main" >"$work/sources.list"
  # _apt (apt's download sandbox user) must be able to write the downloads.
  if id _apt >/dev/null 2>&1; then chown _apt "$work/src"; fi
  # Everything apt reads or writes for this one call lives under $work: the
  # machine's sources, lists and package caches are left untouched.
  apt_tmp=(-o "Dir::Etc::SourceList=$work/sources.list"
           -o "Dir::Etc::SourceParts=/dev/null"
           -o "Dir::State::Lists=$work/lists"
           -o "Dir::Cache=$work/cache"
           -o "Acquire::Languages=none")
  build_log="$LOG_DIR/pgvector-build.log"
  : >"$build_log"
  run_logged "$build_log" apt-get -q --error-on=any "${apt_tmp[@]}" update
  (cd "$work/src" && run_logged "$build_log" apt-get -q "${apt_tmp[@]}" source pgvector)
  srcdir=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)
  if [[ -z $srcdir ]]; then
    echo "services.sh: apt-get source pgvector produced no source dir" >&2
    tail -n 40 "$build_log" >&2
    exit 1
  fi
  echo "    building $(basename "$srcdir")"
  # OPTFLAGS= : no -march=native (what Debian's own package does), so the
  # built extension also runs on a different CPU than the build machine.
  run_logged "$build_log" make -C "$srcdir" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS=
  run_logged "$build_log" make -C "$srcdir" install PG_CONFIG="$PG_CONFIG" OPTFLAGS=
fi
step_end

# ------------------------------------------------ 3. PostgreSQL 15
step_begin "postgresql ${PG_VERSION} start + db setup"
if ! pg_lsclusters -h "$PG_VERSION" "$PG_CLUSTER" >/dev/null 2>&1; then
  echo "    creating cluster ${PG_VERSION}/${PG_CLUSTER}"
  run_logged "$LOG_DIR/postgres.log" pg_createcluster --locale C.UTF-8 \
    --port "$PG_PORT" "$PG_VERSION" "$PG_CLUSTER"
fi
cluster_port=$(pg_lsclusters -h "$PG_VERSION" "$PG_CLUSTER" | awk '{print $3}')
if [[ $cluster_port != "$PG_PORT" ]]; then
  echo "services.sh: cluster ${PG_VERSION}/${PG_CLUSTER} is on port $cluster_port, expected $PG_PORT" >&2
  exit 1
fi
cluster_status=$(pg_lsclusters -h "$PG_VERSION" "$PG_CLUSTER" | awk '{print $4}')
if [[ $cluster_status != online* ]]; then
  echo "    starting cluster ${PG_VERSION}/${PG_CLUSTER}"
  run_logged "$LOG_DIR/postgres.log" pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
else
  echo "    cluster already running"
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
  sleep 0.5
done
if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
  echo "services.sh: PostgreSQL not ready on 127.0.0.1:$PG_PORT" >&2
  tail -n 40 "/var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log" >&2 || true
  exit 1
fi

psql_su -d postgres <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${DB_USER}') THEN
    CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD}';
  ELSE
    ALTER ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD}';
  END IF;
END
\$\$;
SELECT format('CREATE DATABASE %I OWNER %I TEMPLATE template0 ENCODING %L LOCALE %L',
              '${DB_NAME}', '${DB_USER}', 'UTF8', 'C.UTF-8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${DB_NAME}')
\gexec
SQL
psql_su -d "$DB_NAME" -c 'CREATE EXTENSION IF NOT EXISTS vector'
# pgvector is not a "trusted" extension: only a superuser may CREATE it. Put it
# in template1 too, so databases the tests create themselves as rapport
# (CREATE DATABASE uses template1) already have it and the app's
# CREATE EXTENSION IF NOT EXISTS vector is a no-op there as well.
psql_su -d template1 -c 'CREATE EXTENSION IF NOT EXISTS vector'

# Check as the app would connect: TCP + password.
DB_URL="postgres://${DB_USER}:${DB_PASSWORD}@127.0.0.1:${PG_PORT}/${DB_NAME}"
dist=$(psql "$DB_URL" -X -q -At -v ON_ERROR_STOP=1 \
  -c "SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector")
psql "$DB_URL" -X -q -v ON_ERROR_STOP=1 <<'SQL'
DROP TABLE IF EXISTS rapport_ci_hnsw_check;
CREATE TABLE rapport_ci_hnsw_check (e vector(3));
CREATE INDEX ON rapport_ci_hnsw_check USING hnsw (e vector_cosine_ops);
DROP TABLE rapport_ci_hnsw_check;
SQL
vector_version=$(psql "$DB_URL" -X -At -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
echo "    pgvector ${vector_version} ok (cosine distance check: ${dist}, hnsw index ok)"
step_end

# ------------------------------------------------ 4. Redis
step_begin "redis"
redis_ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true; }
if [[ $(redis_ping) == PONG ]]; then
  echo "    already running"
else
  run_logged "$LOG_DIR/redis.log" redis-server --daemonize yes --bind 127.0.0.1 \
    --port "$REDIS_PORT" --save '' --appendonly no \
    --logfile "$LOG_DIR/redis-server.log"
  for _ in $(seq 1 60); do
    [[ $(redis_ping) == PONG ]] && break
    sleep 0.25
  done
  if [[ $(redis_ping) != PONG ]]; then
    echo "services.sh: redis-server not answering on 127.0.0.1:$REDIS_PORT" >&2
    tail -n 40 "$LOG_DIR/redis-server.log" >&2 || true
    exit 1
  fi
  echo "    started"
fi
step_end

# ------------------------------------------------ 5. summary
echo
echo "Services ready:"
echo "export TEST_DATABASE_URL=${DB_URL}"
echo "export DATABASE_URL=${DB_URL}"
echo "export REDIS_URL=redis://127.0.0.1:${REDIS_PORT}"
echo "export FFMPEG_PATH=$(command -v ffmpeg)"
echo
echo "Timings:"
printf '  %s\n' "${TIMINGS[@]}"
