#!/usr/bin/env bash
# Runs the benchmarks of bench/ and writes docs/benchmarks.md.
#
# Usage: bench/run.sh [-rounds N] [-benchtime D] [-bench REGEXP] [-o FILE] [-no-build] [-no-profile]
#   -rounds N      runs of the benchmark binary (default 5); each covers every benchmark once
#                  (-test.count=1), so every round is one complete same-run comparison
#   -benchtime D   per benchmark and round (default 1s)
#   -bench REGEXP  which benchmarks (default: all)
#   -o FILE        the report (default docs/benchmarks.md; - for stdout)
#   -no-build      do not run bench/build-guests.sh first
#   -no-profile    skip the CPU/alloc profile of the generated path
#
# Steps: build the guests (bench/build-guests.sh; a guest that cannot be built makes its
# benchmarks skip), compile the test binaries once (bench's, and runtime's for its instance-start
# benchmarks, which every round also runs), run the rounds, profile BenchmarkGenerated/{c,go},
# run benchstat (golang.org/x/perf, pinned below; skipped if it cannot be fetched), and render the
# report with bench/cmd/benchreport. Raw outputs stay in .cache/bench/run/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="$REPO/bench"
RUN="$REPO/.cache/bench/run"
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da # golang.org/x/perf has no tags

rounds=5 benchtime=1s bench=. out="$REPO/docs/benchmarks.md" build=1 profile=1
cmdline="bash bench/run.sh $*"
while [ $# -gt 0 ]; do
	case $1 in
	-rounds) rounds=$2; shift 2 ;;
	-benchtime) benchtime=$2; shift 2 ;;
	-bench) bench=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	-no-build) build=0; shift ;;
	-no-profile) profile=0; shift ;;
	*) sed -n '2,12p' "$0" >&2; exit 2 ;;
	esac
done
[ "$cmdline" != "bash bench/run.sh " ] || cmdline="bash bench/run.sh"

T0=$(date +%s)
rm -rf "$RUN"
mkdir -p "$RUN"

if [ $build -eq 1 ]; then
	bash "$BENCH_DIR/build-guests.sh" || echo "run: some guests were not built; their benchmarks will skip" >&2
fi

echo "==> compiling the benchmark binaries"
(cd "$BENCH_DIR" && go test -c -o "$RUN/bench.test" .)
# runtime/'s instance-start benchmarks (instance images) run in every round too.
(cd "$REPO" && go test -c -o "$RUN/runtime.test" ./runtime)

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
modver() { (cd "$BENCH_DIR" && go list -m -f '{{.Version}}' "$1" 2>/dev/null) || echo "?"; }
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "command: $cmdline"
	echo "nproc: $(nproc)"
	echo "kernel: $(uname -r)"
	echo "go: $(go env GOVERSION)"
	echo "wazero: $(modver github.com/tetratelabs/wazero)"
	echo "extism-sdk: $(modver github.com/extism/go-sdk)"
	echo "extism-pdk: $(cd "$BENCH_DIR/guests/go-extism" && go list -m -f '{{.Version}}' github.com/extism/go-pdk 2>/dev/null || echo "?")"
	echo "benchtime: $benchtime"
	echo "load-before: $(load)"
} >"$RUN/meta.txt"

# The binary runs in bench/ (like go test); guests are found from the source path.
rounds_files=()
for i in $(seq 1 "$rounds"); do
	echo "==> round $i/$rounds"
	(cd "$BENCH_DIR" && "$RUN/bench.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" \
		-test.count 1 -test.timeout 30m) | tee "$RUN/round-$i.txt"
	if [ "$bench" = . ]; then
		# Fixed counts: an instance start is 0.05-4 ms; a few hundred reach the steady state of
		# the host's heap (the first ones page memory in).
		for rb in 'BenchmarkNewInstance 300x' 'BenchmarkPoolFill 60x'; do
			(cd "$REPO/runtime" && "$RUN/runtime.test" -test.run '^$' -test.bench "${rb% *}" -test.benchtime "${rb#* }" \
				-test.count 1 -test.timeout 30m) | grep -E '^(Benchmark|SKIPPED)' | tee -a "$RUN/round-$i.txt" ||
				echo "run: runtime's ${rb% *} failed (round $i)" >&2
		done
	fi
	rounds_files+=("$RUN/round-$i.txt")
done

prof_args=()
if [ $profile -eq 1 ]; then
	echo "==> profiling the generated path"
	pcmd="go test -run '^\$' -bench 'BenchmarkGenerated/(c|go)\$' -benchtime 3s -cpuprofile cpu.prof; the same with -benchtime 20000x -memprofile mem.prof -memprofilerate 1"
	{
		for g in c go; do
			b=(-test.run '^$' -test.bench "BenchmarkGenerated/$g\$")
			if (cd "$BENCH_DIR" && "$RUN/bench.test" "${b[@]}" -test.benchtime 3s -test.cpuprofile "$RUN/cpu-$g.prof" &&
				"$RUN/bench.test" "${b[@]}" -test.benchtime 20000x -test.memprofile "$RUN/mem-$g.prof" -test.memprofilerate 1) \
				>"$RUN/prof-$g.txt" 2>&1; then
				echo "=== BenchmarkGenerated/$g: CPU, top by cumulative time (host side)"
				go tool pprof -top -cum -nodecount 40 -ignore 'compileGenerated|instantiate|warmUp|newBatches|checkPost' \
					"$RUN/bench.test" "$RUN/cpu-$g.prof" 2>/dev/null |
					sed -n '/flat%/,$p' | grep -v -E 'testing\.|runtime\.goexit|bench\.benchFilter|bench\.generated\.|bench\.Benchmark' | head -30 || true
				echo
				echo "=== BenchmarkGenerated/$g: bytes allocated per call site (alloc_space, -memprofilerate 1)"
				go tool pprof -sample_index=alloc_space -top -nodecount 12 -focus 'OnPostCreating' -ignore 'warmUp|newBatches|checkPost' "$RUN/bench.test" "$RUN/mem-$g.prof" 2>/dev/null |
					sed -n '/flat%/,$p' || true
				echo
				echo "=== BenchmarkGenerated/$g: objects allocated per call site (alloc_objects)"
				go tool pprof -sample_index=alloc_objects -top -nodecount 12 -focus 'OnPostCreating' -ignore 'warmUp|newBatches|checkPost' "$RUN/bench.test" "$RUN/mem-$g.prof" 2>/dev/null |
					sed -n '/flat%/,$p' || true
				echo
			fi
		done
	} >"$RUN/profile.txt"
	[ -s "$RUN/profile.txt" ] && prof_args=(-profile "$RUN/profile.txt")
	echo "profile-command: (cd bench && $pcmd)" >>"$RUN/meta.txt"
fi

echo "==> benchstat"
bs_args=()
# One input holding every round: benchstat then gives each benchmark's median and its spread.
cat "${rounds_files[@]}" >"$RUN/rounds.txt"
if (cd "$RUN" && go run "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION" -confidence 0.9 rounds.txt) >"$RUN/benchstat.txt" 2>"$RUN/benchstat.err"; then
	bs_args=(-benchstat "$RUN/benchstat.txt")
	echo "benchstat: go run golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION -confidence 0.9 rounds.txt (the rounds concatenated; 0.9 because 5 samples cannot give 0.95)" >>"$RUN/meta.txt"
else
	echo "run: benchstat unavailable ($(head -1 "$RUN/benchstat.err")); the report has its own medians" >&2
fi

{
	echo "load-after: $(load)"
	echo "wall: $(( $(date +%s) - T0 )) s (guest builds, $rounds rounds, profile, benchstat)"
} >>"$RUN/meta.txt"

[ "$out" = - ] && out=""
(cd "$BENCH_DIR" && go run ./cmd/benchreport -meta "$RUN/meta.txt" "${bs_args[@]}" "${prof_args[@]}" ${out:+-o "$out"} "${rounds_files[@]}")
[ -n "$out" ] && echo "run: wrote ${out#"$REPO"/} in $(( $(date +%s) - T0 )) s"
