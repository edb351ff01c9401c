#!/usr/bin/env bash
# make bench: measures every performance figure the issues name, in one run
# on this machine, and prints them as a table with the goal beside each.
# Ratios compare two things measured back to back in this same run, so a
# busy machine slows both sides alike; absolute times are only indicative.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
BIN="$PWD/bin/pipeline"
IMAGE="pipeline-test/busybox:latest"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rows=()
row() { rows+=("$(printf '| %-66s | %-32s | %-16s | %-4s |' "$1" "$2" "$3" "$4")"); }
ok() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "ok" : "MISS" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
say() { echo "== $*" >&2; }

# median3 CMD...: runs CMD three times under /usr/bin/time and prints the
# median wall time in seconds and the largest peak RSS in MiB.
median3() {
  local t=() m=0
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; return 1; }
    read -r secs kb <"$work/time"
    t+=("$secs")
    (( kb > m )) && m=$kb
  done
  printf '%s %s\n' "$(printf '%s\n' "${t[@]}" | sort -n | sed -n 2p)" "$(awk -v k="$m" 'BEGIN { printf "%.0f", k / 1024 }')"
}

# gobench PKG REGEX: runs Go benchmarks and appends their output to bench.txt.
gobench() {
  local pkg=$1 re=$2
  shift 2
  say "go test -bench '$re' $pkg $*"
  go test -run '^$' -bench "$re" -benchmem -count 1 "$@" "$pkg" | tee -a "$work/bench.txt" >&2
}

# metric NAME UNIT: the value before UNIT on the benchmark line NAME.
metric() {
  awk -v name="$1" -v unit="$2" '$1 ~ "^"name"(-[0-9]+)?$" { for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1) }' "$work/bench.txt" | tail -1
}

# ---- 1. validate + plan of 5,000 and 50,000 steps (the CLI, end to end) ----
go run ./scripts/genconfig -steps 5000 -stages 500 -o "$work/g5k"
go run ./scripts/genconfig -steps 50000 -stages 5000 -o "$work/g50k"
for n in 5k 50k; do
  say "pipeline validate / plan, $n steps"
  read -r vs vm < <(median3 "$BIN" validate -C "$work/g$n")
  read -r ps pm < <(median3 "$BIN" plan -C "$work/g$n")
  eval "v$n=$vs; vm$n=$vm; p$n=$ps; pm$n=$pm"
done
row "validate 5,000 steps / 500 stages (CLI, wall, peak RSS)" "${v5k}s, ${vm5k} MiB" "< 0.5 s, 200 MiB" "$(ok "$v5k" 0.5)"
row "validate + plan 5,000 steps (CLI, wall, peak RSS)" "${p5k}s, ${pm5k} MiB" "< 0.5 s, 200 MiB" "$(ok "$p5k" 0.5)"
row "validate + plan 50,000 steps (CLI, wall, peak RSS)" "${p50k}s, ${pm50k} MiB" "" ""
row "ratio 50,000 / 5,000 steps, validate" "$(ratio "$v50k" "$v5k")x" "<= 12x" "$(ok "$(ratio "$v50k" "$v5k")" 12)"
row "ratio 50,000 / 5,000 steps, validate + plan" "$(ratio "$p50k" "$p5k")x" "<= 12x" "$(ok "$(ratio "$p50k" "$p5k")" 12)"

# ---- 2. the same in-process, as Go benchmarks ----
gobench ./dsl 'BenchmarkValidate'
gobench ./engine/plan 'BenchmarkPlan'
for b in BenchmarkValidate5k BenchmarkValidate50k BenchmarkPlan5k BenchmarkPlan50k; do
  ns=$(metric "$b" ns/op); mb=$(metric "$b" B/op)
  [ -n "$ns" ] && row "go bench $b (in-process)" "$(awk -v n="$ns" -v m="$mb" 'BEGIN { printf "%.3fs, %.0f MiB alloc", n / 1e9, m / 1048576 }')" "" ""
done

# ---- 3. execution on the real Docker engine ----
say "30 sequential container steps: pipeline run vs docker run --rm loop"
mkdir -p "$work/seq" "$work/par" "$work/one"
{
  echo "pipeline \"seq\" {"; echo "  image = \"$IMAGE\""; echo "}"
  echo "build \"seq\" {"
  for i in $(seq 1 30); do
    echo "  step \"s$i\" {"; echo "    command = [\"true\"]"
    [ "$i" -gt 1 ] && echo "    needs   = [step.s$((i-1))]"
    echo "  }"
  done
  echo "}"
} >"$work/seq/pipeline.hcl"
run_pipeline() { local dir=$1 par=${2:-8}; shift 2; "$BIN" run -C "$dir" --state "sqlite:$work/state-$RANDOM$RANDOM.db" --plain --parallelism "$par" "$@"; }
# elapsed CMD...: runs CMD and prints its wall time in seconds.
elapsed() { local s; s=$(date +%s.%N); "$@" >/dev/null; awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { print e - s }'; }
docker_loop() { for _ in $(seq 1 30); do docker run --rm "$IMAGE" true; done; }
# Two alternating rounds of each side, summed, so drift in the machine's
# load falls on both.
loop=0; pl=0
for _ in 1 2; do
  loop=$(awk -v a="$loop" -v b="$(elapsed docker_loop)" 'BEGIN { print a + b }')
  pl=$(awk -v a="$pl" -v b="$(elapsed run_pipeline "$work/seq" 1)" 'BEGIN { print a + b }')
done
row "(a) pipeline run, 30 sequential steps / docker run loop, 2 rounds" "$(ratio "$pl" "$loop")x ($(printf %.2f "$pl")s / $(printf %.2f "$loop")s)" "<= 0.8x" "$(ok "$(ratio "$pl" "$loop")" 0.8)"

gobench ./runners/docker 'BenchmarkRunnerVsRawInterleaved$' -benchtime 1x
rr=$(metric BenchmarkRunnerVsRawInterleaved runner/raw)
row "(b) docker.Runner / raw API, 30 interleaved steps each" "$(printf %.2f "$rr")x ($(metric BenchmarkRunnerVsRawInterleaved runner-ms/step) vs $(metric BenchmarkRunnerVsRawInterleaved raw-ms/step) ms/step)" "<= 1.05x" "$(ok "$rr" 1.05)"

say "8 parallel branches sleeping 1 s in containers vs one branch"
for d in par one; do
  echo "pipeline \"$d\" {"$'\n'"  image = \"$IMAGE\""$'\n'"}" >"$work/$d/pipeline.hcl"
done
for i in $(seq 1 8); do printf 'build "b%d" {\n  step "sleep" { command = ["sleep", "1"] }\n}\n' "$i" >>"$work/par/pipeline.hcl"; done
printf 'build "b1" {\n  step "sleep" { command = ["sleep", "1"] }\n}\n' >>"$work/one/pipeline.hcl"
one=0; par=0
for _ in 1 2; do
  one=$(awk -v a="$one" -v b="$(elapsed run_pipeline "$work/one" 8)" 'BEGIN { print a + b }')
  par=$(awk -v a="$par" -v b="$(elapsed run_pipeline "$work/par" 8)" 'BEGIN { print a + b }')
done
# The issue's measure: the run's wall time over its own critical path (the
# longest chain of measured step durations), from `pipeline run --json`.
run_pipeline "$work/par" 8 --json 2>/dev/null >"$work/par.json"
read -r wall crit < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["wall_seconds"], d["critical_path_seconds"])' "$work/par.json")
row "(c) 8 x sleep 1 containers, parallelism 8: wall / critical path" "$(ratio "$wall" "$crit")x ($(printf %.2f "$wall")s / $(printf %.2f "$crit")s)" "<= 1.15x" "$(ok "$(ratio "$wall" "$crit")" 1.15)"
row "(c) the same 8 branches / one branch alone, 2 rounds" "$(ratio "$par" "$one")x ($(printf %.2f "$par")s / $(printf %.2f "$one")s)" "" ""
gobench ./engine/exec 'BenchmarkParallelSleep'
row "(c') scheduler alone, local runner: wall / critical path" "$(metric BenchmarkParallelSleep wall/critical)x" "<= 1.15x" "$(ok "$(metric BenchmarkParallelSleep wall/critical)" 1.15)"

# ---- 4. the state store on SQLite ----
gobench ./engine/state/sqlite 'Benchmark(History100k|RecordStep)$'
h=$(metric BenchmarkHistory100k ns/op); r=$(metric BenchmarkRecordStep ns/op)
row "history --env production over 100,000 deployments (SQLite)" "$(awk -v n="$h" 'BEGIN { printf "%.2f ms", n / 1e6 }')" "< 100 ms" "$(ok "$(awk -v n="$h" 'BEGIN { print n / 1e6 }')" 100)"
row "recording one step: node + 3 log lines + node (SQLite)" "$(awk -v n="$r" 'BEGIN { printf "%.3f ms", n / 1e6 }')" "< 2 ms" "$(ok "$(awk -v n="$r" 'BEGIN { print n / 1e6 }')" 2)"

# ---- 5-7. shared stage containers, output at disk speed, a Go module ----
source scripts/bench-speed.sh

# ---- 8 and 9: reuse of unchanged steps, default parallelism ----
# shellcheck source=scripts/bench-reuse.sh
. "$(dirname "$0")/bench-reuse.sh"

# ---- 10. the release console ----
gobench ./engine/console 'Benchmark(Overview|EnvironmentPage)$' -benchtime 5x
o=$(metric BenchmarkOverview ns/op); e=$(metric BenchmarkEnvironmentPage ns/op)
row "console overview, 200 components x 5 environments (SQLite)" "$(awk -v n="$o" 'BEGIN { printf "%.1f ms", n / 1e6 }')" "< 200 ms" "$(ok "$(awk -v n="$o" 'BEGIN { print n / 1e6 }')" 200)"
row "console environment page, 5,000 deployments (SQLite)" "$(awk -v n="$e" 'BEGIN { printf "%.1f ms", n / 1e6 }')" "" ""

echo
echo "pipeline benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores, $(go version | awk '{ print $3 }'), Docker $(docker version --format '{{.Server.Version}}')"
echo
printf '| %-66s | %-32s | %-16s | %-4s |\n' "figure" "measured" "goal" ""
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..68})" "$(printf -- '-%.0s' {1..34})" "$(printf -- '-%.0s' {1..18})" "------"
printf '%s\n' "${rows[@]}"
cat <<'HOW'

How to read it: a ratio compares two things measured back to back in this
run, so it holds on a busy machine; seconds and milliseconds are this
machine's and move with its load. (a) pits `pipeline run` against a shell loop
of `docker run --rm` (the CLI pays a process and an API handshake per step);
(b) alternates Docker runner steps with bare create/attach/start/wait/remove
API calls (the engine's overhead per container); (c) divides the wall time of 8
parallel one-second branches by the run's own critical path (the longest
chain of measured step durations), and also compares it with one branch
alone, which shows what the Docker engine's parallel starts cost.
Validate and plan figures come from the CLI under /usr/bin/time (median of 3
runs; peak resident memory) and, in-process, from Go benchmarks.
HOW
