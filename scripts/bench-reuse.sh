# Sourced by scripts/bench.sh (uses its BIN, IMAGE, work, row, ok, ratio,
# say, elapsed, gobench, metric): reuse of unchanged steps and the default
# parallelism, measured side by side in this run.

# ---- 8. a 100-step pipeline whose steps all declare inputs ----
say "100 steps with inputs: second run of an unchanged commit vs --no-cache"
reuse="$work/reuse"
mkdir -p "$reuse/src"
(
  cd "$reuse"
  git init -q
  echo "hello" >src/a.txt
  {
    echo "pipeline \"reuse\" {"; echo "  image = \"$IMAGE\""; echo "}"
    echo "build \"b\" {"
    for i in $(seq 1 100); do
      printf '  step "s%d" {\n    inputs  = ["src/*.txt"]\n    outputs = ["out/%d.txt"]\n    run     = "mkdir -p out && cat src/*.txt > out/%d.txt"\n  }\n' "$i" "$i" "$i"
    done
    echo "}"
  } >pipeline.hcl
  printf 'out/\n.pipeline/\n' >.gitignore
  git add -A
  git -c user.email=bench@example.com -c user.name=bench commit -qm bench
)
# run_reuse ARGS...: one `pipeline run` of the 100 steps; prints
# "SECONDS RUN_ID".
run_reuse() {
  local s e id
  s=$(date +%s.%N)
  id=$("$BIN" run -C "$reuse" --plain --parallelism 8 "$@" 2>/dev/null | awk 'NR == 1 { print $2 }')
  e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" -v id="$id" 'BEGIN { printf "%.3f %s\n", e - s, id }'
}
# created SINCE RUN_ID: containers the engine created for the run since SINCE.
created() {
  docker events --since "$1" --until "$(date +%s.%N)" --filter type=container --filter event=create \
    --filter "label=dev.pipeline.run=$2" --format '{{.ID}}' | wc -l
}
read -r cold coldid < <(run_reuse)
since=$(date +%s.%N)
warm=(); nocache=(); ids=()
for _ in 1 2 3; do
  read -r t id < <(run_reuse); warm+=("$t"); ids+=("$id")
  read -r t _ < <(run_reuse --no-cache); nocache+=("$t")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
w=$(median "${warm[@]}"); n=$(median "${nocache[@]}")
made=0
for id in "${ids[@]}"; do made=$((made + $(created "$since" "$id"))); done
row "100 steps with inputs, unchanged commit: 2nd run wall (median of 3)" "${w}s (cold run ${cold}s)" "<= 0.3 s" "$(ok "$w" 0.3)"
row "the same: containers created by the 3 reusing runs (engine events)" "$made" "0" "$(ok "$made" 0)"
row "reusing run / --no-cache run of the same commit, 3 rounds" "$(ratio "$w" "$n")x (${w}s / ${n}s)" "" ""
gobench ./engine/exec 'BenchmarkReuse100$'
rn=$(metric BenchmarkReuse100 ns/op)
row "go bench BenchmarkReuse100: exec of 100 reused steps (SQLite)" "$(awk -v n="$rn" 'BEGIN { printf "%.1f ms", n / 1e6 }')" "" ""

# ---- 9. the default parallelism ----
say "16 independent container steps at parallelism 1, 2, 4, 8, 16"
fan="$work/fan"
mkdir -p "$fan"
{
  echo "pipeline \"fan\" {"; echo "  image = \"$IMAGE\""; echo "}"
  echo "build \"b\" {"
  for i in $(seq 1 16); do echo "  step \"s$i\" { command = [\"true\"] }"; done
  echo "}"
} >"$fan/pipeline.hcl"
declare -A par_t
for p in 1 2 4 8 16; do par_t[$p]=0; done
for _ in 1 2; do
  for p in 1 2 4 8 16; do
    par_t[$p]=$(awk -v a="${par_t[$p]}" -v b="$(elapsed run_pipeline "$fan" "$p")" 'BEGIN { print a + b }')
  done
done
line=""
for p in 1 2 4 8 16; do line+="p$p $(printf %.1f "${par_t[$p]}")s  "; done
row "16 x true, 2 rounds, wall by --parallelism" "$line" "" ""
for p in 2 4 8 16; do
  row "  speed-up of --parallelism $p over 1" "$(ratio "${par_t[1]}" "${par_t[$p]}")x" "" ""
done
