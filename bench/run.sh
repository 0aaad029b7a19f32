#!/usr/bin/env bash
# Comparison benchmarks for csrfkit (issue 6): `make bench` from the repository
# root runs this. Every step prints to the terminal and lands in bench/out/.
#
#   1. validation: every library on every scenario once (200 for valid
#      requests, 403 for forged ones, the upload hashed correctly);
#   2. micro-benchmarks, interleaved: BENCH_COUNT rounds, each running every
#      library once (-count 1) in a shuffled order, so slow drift on a shared
#      machine spreads over all libraries instead of landing on one;
#   3. benchstat tables (ns/op, B/op, allocs/op; libraries in columns) and
#      bench/cmd/summarize's tables (overhead over bare, csrfkit's ratio to
#      each library, csrfkit against the issue's targets);
#   4. CPU and allocation profiles of csrfkit on scenarios (c) and (a);
#   5. the server-level run: wrk against the demo's GET /transfer and
#      POST /api/transfer on both apps, with csrfkit and with -unprotected,
#      WRK_ROUNDS rounds.
#
# Knobs (environment): BENCH_COUNT=6 BENCH_TIME=1s BENCH_FILTER=. (a -test.bench
# first-level pattern, e.g. 'C_|E_') WRK_ROUNDS=2 WRK_DURATION=10s WRK_CONNS=16
# WRK_THREADS=2 WRK_PORT=18089 SKIP_PROFILE=1 SKIP_WRK=1 OUT=out
set -euo pipefail
cd "$(dirname "$0")"

BENCH_COUNT=${BENCH_COUNT:-6}
BENCH_TIME=${BENCH_TIME:-1s}
BENCH_FILTER=${BENCH_FILTER:-.}
WRK_ROUNDS=${WRK_ROUNDS:-2}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_CONNS=${WRK_CONNS:-16}
WRK_THREADS=${WRK_THREADS:-2}
WRK_PORT=${WRK_PORT:-18089}
OUT=${OUT:-out}
LIBS="bare csrfkit gorilla nosurf filippo stdlib"
COLS="/lib@(bare csrfkit gorilla nosurf filippo stdlib)"

mkdir -p "$OUT"
machine() {
	echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host:    $(uname -srm)"
	echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "nproc:   $(nproc)"
	echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "go:      $(go version)"
	echo "uptime:  $(uptime)"
}
echo "== machine" | tee "$OUT/machine.txt"
machine | tee -a "$OUT/machine.txt"

echo "== validation (every library, every scenario, once)"
go vet ./...
go test -count=1 -run 'TestScenarios' . | tee "$OUT/validation.txt"

echo "== micro-benchmarks: $BENCH_COUNT interleaved rounds, -benchtime $BENCH_TIME"
go test -c -o "$OUT/bench.test" .
: >"$OUT/bench.txt"
for round in $(seq 1 "$BENCH_COUNT"); do
	for lib in $(printf '%s\n' $LIBS | shuf); do
		echo "-- round $round/$BENCH_COUNT: $lib  ($(cut -d' ' -f1-3 /proc/loadavg) load)" >&2
		# A failed validation fails the run (set -e): numbers for a library that
		# does not do its job are not worth printing.
		"./$OUT/bench.test" -test.run '^$' -test.bench "($BENCH_FILTER)/lib=$lib\$" \
			-test.benchmem -test.count 1 -test.benchtime "$BENCH_TIME" | tee -a "$OUT/bench.txt"
	done
done
echo "uptime after benchmarks: $(uptime)" | tee -a "$OUT/machine.txt"

echo "== benchstat"
go tool benchstat -col "$COLS" "$OUT/bench.txt" | tee "$OUT/benchstat.txt"

if [ -z "${SKIP_PROFILE:-}" ]; then
	echo "== csrfkit profiles: (c) POST header token and (a) first visit"
	for sc in C_PostHeaderToken A_FirstVisit; do
		"./$OUT/bench.test" -test.run '^$' -test.bench "^Benchmark$sc/lib=csrfkit\$" -test.benchtime 3s \
			-test.cpuprofile "$OUT/cpu-$sc.prof" >/dev/null
		go tool pprof -top -nodecount=30 "$OUT/bench.test" "$OUT/cpu-$sc.prof" 2>/dev/null | tee "$OUT/cpu-$sc.txt"
	done
	echo "== csrfkit allocation sites: (a) (c) (d) (e)"
	for sc in A_FirstVisit C_PostHeaderToken D_PostForm1KB E_CrossSiteWithCookie; do
		"./$OUT/bench.test" -test.run '^$' -test.bench "^Benchmark$sc/lib=csrfkit\$" -test.benchtime 200000x \
			-test.memprofile "$OUT/mem-$sc.prof" -test.memprofilerate 1 >/dev/null
		go tool pprof -sample_index=alloc_objects -top -nodecount=15 "$OUT/bench.test" "$OUT/mem-$sc.prof" 2>/dev/null |
			tee "$OUT/mem-$sc.txt"
	done
fi

: >"$OUT/wrk.txt"
if [ -z "${SKIP_WRK:-}" ]; then
	if ! command -v wrk >/dev/null; then
		echo "wrk not found; installing the Debian package" >&2
		if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
	fi
	echo "== server level: the demo under wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION, $WRK_ROUNDS rounds"
	(cd .. && go build -o "bench/$OUT/demo" ./cmd/csrfkit-demo)
	ports=("$WRK_PORT" $((WRK_PORT + 1)) $((WRK_PORT + 2)))
	server=""
	stop() {
		if [ -n "$server" ]; then
			kill -INT "$server" 2>/dev/null || true
			wait "$server" 2>/dev/null || true
			server=""
		fi
	}
	trap stop EXIT
	start() { # start <csrfkit|nocsrf>: both apps; a balance that 10 s of transfers cannot drain
		local flag=""
		[ "$1" = nocsrf ] && flag=-unprotected
		"./$OUT/demo" -auto "127.0.0.1:${ports[0]}" -explicit "127.0.0.1:${ports[1]}" -attacker "127.0.0.1:${ports[2]}" \
			-balance 1000000000000 $flag >>"$OUT/demo.log" 2>&1 &
		server=$!
		for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:${ports[1]}/healthz" && return; sleep 0.1; done
		echo "demo did not start" >&2
		exit 1
	}
	# login <base> <token cookie>: logs in as a browser would (GET /login, POST
	# /login with the token, follow to /transfer) and exports the cookies and
	# the token for wrk. Without csrfkit there is no token; the same requests work.
	login() {
		local base=$1 name=$2 jar="$OUT/cookies.txt" tok
		rm -f "$jar"
		curl -s -c "$jar" -o /dev/null "$base/login"
		tok=$(awk -F'\t' -v n="$name" 'NF==7 && $6==n {print $7}' "$jar")
		curl -s -b "$jar" -c "$jar" -o /dev/null -L -H "Origin: $base" -H 'Sec-Fetch-Site: same-origin' \
			-H "X-CSRF-Token: $tok" -d 'username=bench&password=bench' "$base/login"
		curl -s -b "$jar" -c "$jar" -o /dev/null "$base/transfer"
		WRK_COOKIE=$(awk -F'\t' 'NF==7 {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$jar")
		WRK_TOKEN=$(awk -F'\t' -v n="$name" 'NF==7 && $6==n {print $7}' "$jar")
		WRK_ORIGIN=$base
		export WRK_COOKIE WRK_TOKEN WRK_ORIGIN
	}
	post() { # post <origin> <sec-fetch-site>: a transfer with the logged-in cookies and token
		curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: $WRK_COOKIE" -H "X-CSRF-Token: $WRK_TOKEN" \
			-H "Origin: $1" -H "Sec-Fetch-Site: $2" -H 'Content-Type: application/json' \
			-d '{"to":"alice","amount":1}' "$WRK_ORIGIN/api/transfer"
	}

	for round in $(seq 1 "$WRK_ROUNDS"); do
		modes="csrfkit nocsrf"
		[ $((round % 2)) = 0 ] && modes="nocsrf csrfkit"
		for mode in $modes; do
			start "$mode"
			for app in auto:csrf_token explicit:XSRF-TOKEN; do
				port=${ports[0]}
				[ "${app%%:*}" = explicit ] && port=${ports[1]}
				login "http://127.0.0.1:$port" "${app#*:}"
				# Check before timing: the legitimate request passes; with csrfkit
				# a forged one is refused (without it, it goes through).
				ok=$(post "$WRK_ORIGIN" same-origin)
				forged=$(post https://evil.example cross-site)
				want_forged=403
				[ "$mode" = nocsrf ] && want_forged=200
				echo "check ${app%%:*} $mode: legitimate POST -> $ok, forged POST -> $forged"
				if [ "$ok" != 200 ] || [ "$forged" != "$want_forged" ]; then
					echo "server-level check failed" >&2
					exit 1
				fi
				for route in "GET /transfer" "POST /api/transfer"; do
					method=${route% *} path=${route#* }
					WRK_METHOD=$method WRK_LABEL="route=${method}:${path} app=${app%%:*} mode=$mode round=$round" \
						wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --latency -s wrk/transfer.lua "$WRK_ORIGIN$path" |
						tee -a "$OUT/wrk-full.txt" | grep '^WRK ' | tee -a "$OUT/wrk.txt"
				done
			done
			stop
		done
	done
	trap - EXIT
fi

echo "== summary"
go run ./cmd/summarize -wrk "$OUT/wrk.txt" "$OUT/bench.txt" | tee "$OUT/summary.md"
echo "uptime at the end: $(uptime)" | tee -a "$OUT/machine.txt"
echo "All output is in bench/$OUT/."
