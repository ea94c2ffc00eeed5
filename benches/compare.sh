#!/usr/bin/env bash
# Side-by-side hello-world throughput: Lunar's release `server` example (SQLite, every
# execution recorded before its response) against Cloudflare's workerd and a bare
# Deno.serve, on loopback, in one run. Rounds alternate between the servers; each round
# prints req/s per server and the ratios. Afterwards it checks that Lunar recorded one
# execution per request served.
#
#   benches/compare.sh            # 3 rounds of `wrk -t1 -c16 -d8s`
#   ROUNDS=5 DURATION=10s CONNECTIONS=64 benches/compare.sh
#
# Needs: cargo, npm (workerd and deno are installed from npm into target/peers when
# missing), wrk and curl (installed with apt-get when missing and running as root).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}
WORKERD_VERSION=1.20261117.1
DENO_VERSION=2.9.6
PEERS=${PEERS:-target/peers}
WORK=$(mktemp -d /tmp/lunar-compare.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

need() {
    command -v "$1" >/dev/null && return
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null; }
    fi
    command -v "$1" >/dev/null || { echo "compare.sh: $1 is required" >&2; exit 1; }
}
need wrk
need curl

if [ -f ../shared/v8/env.sh ]; then
    # shellcheck disable=SC1091
    . ../shared/v8/env.sh
fi

WORKERD=$PEERS/node_modules/@cloudflare/workerd-linux-64/bin/workerd
DENO=$PEERS/node_modules/@deno/linux-x64-glibc/deno
if [ ! -x "$WORKERD" ] || [ ! -x "$DENO" ]; then
    mkdir -p "$PEERS"
    npm install --prefix "$PEERS" --no-audit --no-fund --silent \
        "workerd@$WORKERD_VERSION" "deno@$DENO_VERSION" >/dev/null
fi

cargo build --release --example server -q
SERVER=target/release/examples/server

wait_port() {
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.05
    done
    echo "compare.sh: nothing listens on port $1" >&2
    exit 1
}

BODY='{"message":"Hello, World!"}'

# workerd: a module worker with a fetch handler.
cat >"$WORK/worker.js" <<EOF
const body = JSON.stringify({ message: "Hello, World!" });
export default {
  fetch() {
    return new Response(body, { headers: { "Content-Type": "application/json" } });
  },
};
EOF
cat >"$WORK/workerd.capnp" <<EOF
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .hello) ],
  sockets = [ (name = "http", address = "127.0.0.1:18181", http = (), service = "main") ],
);
const hello :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2024-09-23",
);
EOF
"$WORKERD" serve "$WORK/workerd.capnp" >"$WORK/workerd.log" 2>&1 &
PIDS+=($!)

# Deno: a bare Deno.serve (no persistence).
cat >"$WORK/deno.js" <<EOF
const body = JSON.stringify({ message: "Hello, World!" });
Deno.serve({ hostname: "127.0.0.1", port: 18182, onListen() {} }, () =>
  new Response(body, { headers: { "Content-Type": "application/json" } }));
EOF
"$DENO" run --allow-net "$WORK/deno.js" >"$WORK/deno.log" 2>&1 &
PIDS+=($!)

# Lunar: the standalone server on SQLite, one warm and one fresh hello function.
PORT=18183 DATA_DIR="$WORK/data" API_KEY=bench RUST_LOG=warn "$SERVER" >"$WORK/lunar.log" 2>&1 &
PIDS+=($!)

wait_port 18181
wait_port 18182
wait_port 18183

LUNAR=http://127.0.0.1:18183
CODE='function handler(ctx, event) { return { statusCode: 200, headers: { \"Content-Type\": \"application/json\" }, body: JSON.stringify({ message: \"Hello, World!\" }) }; }'
create() {
    curl -sf -X POST "$LUNAR/api/functions" -H "Authorization: Bearer bench" \
        -d "{\"name\":\"hello-$1\",\"code\":\"$CODE\",\"isolation\":\"$1\"}" |
        sed -E 's/^\{"id":"([^"]+)".*/\1/'
}
WARM_ID=$(create warm)
FRESH_ID=$(create fresh)
for url in http://127.0.0.1:18181/ http://127.0.0.1:18182/ "$LUNAR/fn/$WARM_ID" "$LUNAR/fn/$FRESH_ID"; do
    got=$(curl -s "$url")
    [ "$got" = "$BODY" ] || { echo "compare.sh: $url answered: $got" >&2; exit 1; }
done

rps() { sed -nE 's/^Requests\/sec: +([0-9.]+).*/\1/p' "$1"; }
requests() { sed -nE 's/^ *([0-9]+) requests in .*/\1/p' "$1"; }
non2xx() { sed -nE 's/^ *Non-2xx or 3xx responses: +([0-9]+).*/\1/p' "$1"; }

# run NAME URL ROUND: one wrk run, its output in $WORK/wrk-NAME-ROUND.txt.
run() {
    local out="$WORK/wrk-$1-$3.txt" bad
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$2" >"$out"
    bad=$(non2xx "$out")
    if [ -n "$bad" ] && [ "$bad" != 0 ]; then
        echo "compare.sh: $1 answered $bad non-2xx responses" >&2
        exit 1
    fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds on $(nproc) cores (req/s)"
printf '%-6s %10s %10s %12s %12s %13s %14s %10s\n' round workerd deno lunar-warm lunar-fresh \
    warm/workerd fresh/workerd warm/deno
for round in $(seq 1 "$ROUNDS"); do
    # Alternate the order between rounds so that no server always runs first.
    if [ $((round % 2)) = 1 ]; then
        order="workerd deno warm fresh"
    else
        order="fresh warm deno workerd"
    fi
    for name in $order; do
        case $name in
            workerd) run workerd http://127.0.0.1:18181/ "$round" ;;
            deno) run deno http://127.0.0.1:18182/ "$round" ;;
            warm) run warm "$LUNAR/fn/$WARM_ID" "$round" ;;
            fresh) run fresh "$LUNAR/fn/$FRESH_ID" "$round" ;;
        esac
    done
    w=$(rps "$WORK/wrk-workerd-$round.txt")
    d=$(rps "$WORK/wrk-deno-$round.txt")
    lw=$(rps "$WORK/wrk-warm-$round.txt")
    lf=$(rps "$WORK/wrk-fresh-$round.txt")
    printf '%-6s %10s %10s %12s %12s %13s %14s %10s\n' "$round" "$w" "$d" "$lw" "$lf" \
        "$(ratio "$lw" "$w")x" "$(ratio "$lf" "$w")x" "$(ratio "$lw" "$d")x"
done

# Every request served is a recorded execution. wrk also closes connections with a
# request in flight when a run ends: those executions are recorded too (as successes or
# `client disconnected`) but not counted by wrk, so up to CONNECTIONS per run may be extra.
status=0
for name in warm fresh; do
    id=$WARM_ID
    [ "$name" = fresh ] && id=$FRESH_ID
    served=1 # the correctness check above
    for round in $(seq 1 "$ROUNDS"); do
        served=$((served + $(requests "$WORK/wrk-$name-$round.txt")))
    done
    recorded=$(curl -sf "$LUNAR/api/functions/$id/executions?limit=1" -H "Authorization: Bearer bench" |
        sed -E 's/.*"total":([0-9]+).*/\1/')
    pending=$(curl -sf "$LUNAR/api/functions/$id/executions?limit=100" -H "Authorization: Bearer bench" |
        { grep -o '"status":"pending"' || true; } | wc -l)
    extra=$((recorded - served))
    echo "lunar-$name: $served requests served, $recorded executions recorded ($extra in flight when wrk closed; at most $((CONNECTIONS * ROUNDS))), $pending pending among the newest 100"
    if [ "$extra" -lt 0 ] || [ "$extra" -gt $((CONNECTIONS * ROUNDS)) ] || [ "$pending" != 0 ]; then
        echo "compare.sh: lunar-$name recorded $recorded executions for $served requests" >&2
        status=1
    fi
done
exit $status
