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
#      POST /api/transfer on both apps, with csrfkit and with -unprotected
#      (two demos side by side, their runs alternating), WRK_ROUNDS rounds.
#
# Knobs (environment): BENCH_COUNT=6 BENCH_TIME=1s BENCH_FILTER=. (a -test.bench
# first-level pattern, e.g. 'C_|E_') WRK_ROUNDS=5 WRK_DURATION=5s WRK_CONNS=16
# WRK_THREADS=2 WRK_PORT=18089 WRK_NO_PIN=1 SKIP_PROFILE=1 SKIP_WRK=1 OUT=out
set -euo pipefail
cd "$(dirname "$0")"

BENCH_COUNT=${BENCH_COUNT:-6}
BENCH_TIME=${BENCH_TIME:-1s}
BENCH_FILTER=${BENCH_FILTER:-.}
WRK_ROUNDS=${WRK_ROUNDS:-5}
WRK_DURATION=${WRK_DURATION:-5s}
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
	# On a machine with 2 or more cores the servers get CPU 0 and wrk CPU 1
	# (GOMAXPROCS=1), so that load generator and server do not fight over the
	# same core: this removes most of the run-to-run noise.
	PIN_SERVER="" PIN_WRK=""
	if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && [ -z "${WRK_NO_PIN:-}" ]; then
		PIN_SERVER="env GOMAXPROCS=1 taskset -c 0" PIN_WRK="taskset -c 1"
		WRK_THREADS=1
	fi
	echo "== server level: the demo under wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION, $WRK_ROUNDS rounds${PIN_SERVER:+ (server on CPU 0, wrk on CPU 1)}"
	(cd .. && go build -o "bench/$OUT/demo" ./cmd/csrfkit-demo)
	# Two demos run side by side, one with csrfkit and one with -unprotected, so
	# that the runs of both can alternate within each round (drift on a shared
	# machine then lands on both).
	declare -A port=([csrfkit.auto]=$WRK_PORT [csrfkit.explicit]=$((WRK_PORT + 1))
		[nocsrf.auto]=$((WRK_PORT + 3)) [nocsrf.explicit]=$((WRK_PORT + 4)))
	pids=()
	stop() { kill -INT "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
	trap stop EXIT
	for mode in csrfkit nocsrf; do
		flag=""
		[ "$mode" = nocsrf ] && flag=-unprotected
		# A balance that the transfers of every run together cannot drain.
		$PIN_SERVER "./$OUT/demo" -auto "127.0.0.1:${port[$mode.auto]}" -explicit "127.0.0.1:${port[$mode.explicit]}" \
			-attacker "127.0.0.1:$((${port[$mode.explicit]} + 1))" -balance 1000000000000 $flag >>"$OUT/demo.log" 2>&1 &
		pids+=($!)
	done
	for p in "${port[@]}"; do
		for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$p/healthz" && break; sleep 0.1; done
	done
	# login <mode.app>: logs in as a browser would (GET /login, POST /login with
	# the token from the readable cookie, follow to /transfer) and keeps the
	# cookies and the token for wrk. Without csrfkit there is no token; the same
	# requests work.
	declare -A cookie token
	login() {
		local base="http://127.0.0.1:${port[$1]}" jar="$OUT/cookies-$1.txt" name=csrf_token tok
		[ "${1#*.}" = explicit ] && name=XSRF-TOKEN
		rm -f "$jar"
		curl -s -c "$jar" -o /dev/null "$base/login"
		tok=$(awk -F'\t' -v n="$name" 'NF==7 && $6==n {print $7}' "$jar")
		curl -s -b "$jar" -c "$jar" -o /dev/null -L -H "Origin: $base" -H 'Sec-Fetch-Site: same-origin' \
			-H "X-CSRF-Token: $tok" -d 'username=bench&password=bench' "$base/login"
		curl -s -b "$jar" -c "$jar" -o /dev/null "$base/transfer"
		cookie[$1]=$(awk -F'\t' 'NF==7 {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$jar")
		token[$1]=$(awk -F'\t' -v n="$name" 'NF==7 && $6==n {print $7}' "$jar")
	}
	post() { # post <mode.app> <origin> <sec-fetch-site>: a transfer with the logged-in cookies and token
		curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: ${cookie[$1]}" -H "X-CSRF-Token: ${token[$1]}" \
			-H "Origin: $2" -H "Sec-Fetch-Site: $3" -H 'Content-Type: application/json' \
			-d '{"to":"alice","amount":1}' "http://127.0.0.1:${port[$1]}/api/transfer"
	}
	for t in csrfkit.auto csrfkit.explicit nocsrf.auto nocsrf.explicit; do
		login "$t"
		# Check before timing: the legitimate request passes; with csrfkit a
		# forged one is refused (without it, it goes through).
		ok=$(post "$t" "http://127.0.0.1:${port[$t]}" same-origin)
		forged=$(post "$t" https://evil.example cross-site)
		want_forged=403
		[ "${t%%.*}" = nocsrf ] && want_forged=200
		echo "check $t: legitimate POST -> $ok, forged POST -> $forged"
		if [ "$ok" != 200 ] || [ "$forged" != "$want_forged" ]; then
			echo "server-level check failed" >&2
			exit 1
		fi
	done
	for round in $(seq 1 "$WRK_ROUNDS"); do
		modes="csrfkit nocsrf"
		[ $((round % 2)) = 0 ] && modes="nocsrf csrfkit"
		for app in auto explicit; do
			for route in "GET /transfer" "POST /api/transfer"; do
				for mode in $modes; do
					method=${route% *} path=${route#* } t=$mode.$app
					WRK_METHOD=$method WRK_COOKIE=${cookie[$t]} WRK_TOKEN=${token[$t]} WRK_ORIGIN="http://127.0.0.1:${port[$t]}" \
						WRK_LABEL="route=${method}:${path} app=$app mode=$mode round=$round" \
						$PIN_WRK wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --latency -s wrk/transfer.lua \
						"http://127.0.0.1:${port[$t]}$path" | tee -a "$OUT/wrk-full.txt" | grep '^WRK ' | tee -a "$OUT/wrk.txt"
				done
			done
		done
	done
	stop
	trap - EXIT
fi

echo "== summary"
go run ./cmd/summarize -wrk "$OUT/wrk.txt" "$OUT/bench.txt" | tee "$OUT/summary.md"
echo "uptime at the end: $(uptime)" | tee -a "$OUT/machine.txt"
echo "All output is in bench/$OUT/."
