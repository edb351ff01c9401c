# bench-speed.sh is sourced by bench.sh (it uses its row, ok, ratio, say,
# elapsed and run_pipeline helpers and $work, $BIN, $IMAGE): shared stage
# containers, output at disk speed and a real Go module's warm build.

GOIMAGE="pipeline-test/go:latest"
bash testdata/image/build-go.sh >&2

# ---- 5. 30 sequential `true` steps in one shared container ----
say "30 sequential true steps in a container = \"shared\" stage vs docker run --rm loop"
mkdir -p "$work/shared"
{
  echo "pipeline \"shared\" {"; echo "  image = \"$IMAGE\""; echo "}"
  echo "build \"seq\" {"; echo "  container = \"shared\""
  for i in $(seq 1 30); do
    echo "  step \"s$i\" {"; echo "    command = [\"true\"]"
    [ "$i" -gt 1 ] && echo "    needs   = [step.s$((i-1))]"
    echo "  }"
  done
  echo "}"
} >"$work/shared/pipeline.hcl"
loop=0; sh=0
for _ in 1 2; do
  loop=$(awk -v a="$loop" -v b="$(elapsed docker_loop)" 'BEGIN { print a + b }')
  sh=$(awk -v a="$sh" -v b="$(elapsed run_pipeline "$work/shared" 1)" 'BEGIN { print a + b }')
done
row "(d) 30 true steps, shared container / docker run --rm loop, 2 rounds" "$(ratio "$sh" "$loop")x ($(printf %.2f "$sh")s / $(printf %.2f "$loop")s)" "<= 0.15x" "$(ok "$(ratio "$sh" "$loop")" 0.15)"

# ---- 6. one step printing 100 MB ----
say "one step printing 100 MB: pipeline run --plain vs docker run, both to /dev/null"
big='seq 1 1080000 | sed "s/^/2026-12-04T10:00:00Z INFO request handled path=\/api\/v1\/items status=200 bytes=4321 id=/"'
raw=$(docker run --rm "$IMAGE" sh -c "$big" | wc -c)
mkdir -p "$work/big"
python3 - "$work/big/pipeline.hcl" "$IMAGE" "$big" <<'PY'
import json, sys
open(sys.argv[1], "w").write('pipeline "big" {\n  image = "%s"\n}\nbuild "out" {\n  step "print" {\n    command = ["sh", "-c", %s]\n  }\n}\n' % (sys.argv[2], json.dumps(sys.argv[3])))
PY
dbsize() { du -cb "$1"* 2>/dev/null | tail -1 | cut -f1; }
mkdir -p "$work/tiny"
printf 'pipeline "tiny" {\n  image = "%s"\n}\nbuild "t" {\n  step "t" { command = ["true"] }\n}\n' "$IMAGE" >"$work/tiny/pipeline.hcl"
dk=0; pd=0; pl=0; grow=0; growcut=0
for round in 1 2; do
  dk=$(awk -v a="$dk" -v b="$(elapsed docker run --rm "$IMAGE" sh -c "$big")" 'BEGIN { print a + b }')
  # Defaults: the stored log keeps the first and last 32 MiB.
  db="$work/big-cut-$round.db"
  "$BIN" run -C "$work/tiny" --state "sqlite:$db" --plain >/dev/null # the schema, one small run
  before=$(dbsize "$db")
  t=$(elapsed "$BIN" run -C "$work/big" --state "sqlite:$db" --plain)
  pd=$(awk -v a="$pd" -v b="$t" 'BEGIN { print a + b }')
  growcut=$(( $(dbsize "$db") - before ))
  # --log-limit 0: every byte goes to the store.
  db="$work/big-$round.db"
  "$BIN" run -C "$work/tiny" --state "sqlite:$db" --plain >/dev/null
  before=$(dbsize "$db")
  t=$(elapsed "$BIN" run -C "$work/big" --state "sqlite:$db" --plain --log-limit 0)
  pl=$(awk -v a="$pl" -v b="$t" 'BEGIN { print a + b }')
  grow=$(( $(dbsize "$db") - before ))
done
mbs() { awk -v r="$raw" -v t="$1" 'BEGIN { printf "%.1f", 2 * r / t / 1e6 }'; }
row "(e) 100 MB output: throughput pipeline run --plain / docker run, 2 rounds" "$(ratio "$dk" "$pd")x ($(mbs "$pd") vs $(mbs "$dk") MB/s)" ">= 0.9x" "$(ok 0.9 "$(ratio "$dk" "$pd")")"
row "(e) the same with --log-limit 0 (all 100 MB stored)" "$(ratio "$dk" "$pl")x ($(mbs "$pl") vs $(mbs "$dk") MB/s)" ">= 0.9x" "$(ok 0.9 "$(ratio "$dk" "$pl")")"
row "(e) state store growth / raw log ($((raw / 1000000)) MB, --log-limit 0)" "$(ratio "$grow" "$raw")x ($(awk -v g="$grow" 'BEGIN { printf "%.1f", g / 1e6 }') MB)" "<= 0.3x" "$(ok "$(ratio "$grow" "$raw")" 0.3)"
row "(e) state store growth with the default 64 MiB limit (head + tail)" "$(ratio "$growcut" "$raw")x ($(awk -v g="$growcut" 'BEGIN { printf "%.1f", g / 1e6 }') MB)" "" ""
/usr/bin/time -f '%e %M' -o "$work/logs.time" "$BIN" logs --state "sqlite:$work/big-2.db" -C "$work/big" "$("$BIN" runs --state "sqlite:$work/big-2.db" -C "$work/big" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')" >"$work/logs.out"
read -r ls lkb <"$work/logs.time"
row "(e) pipeline logs of it: peak RSS, wall" "$((lkb / 1024)) MiB, ${ls}s ($(wc -l <"$work/logs.out") lines)" "< 100 MiB" "$(ok "$((lkb / 1024))" 100)"
gobench ./engine/state/sqlite 'BenchmarkLogs$'
row "go bench BenchmarkLogs: append + stream back 64 MiB (SQLite)" "$(metric BenchmarkLogs MB/s) MB/s, $(metric BenchmarkLogs stored/raw)x stored" "" ""

# ---- 7. a real Go module, warm: pipeline run vs one docker run ----
say "testdata/gomodule warm build + vet + test: pipeline run (shared stage) vs one docker run"
mkdir -p "$work/gm-p" "$work/gm-d"
cp -r testdata/gomodule/. "$work/gm-p/"
cp -r testdata/gomodule/. "$work/gm-d/"
run_pipeline "$work/gm-p" 4 >/dev/null # cold: fills the build cache in the workspace
cp -a "$work/gm-p/.gocache" "$work/gm-d/.gocache"
gm_docker() { docker run --rm -v "$work/gm-d:/workspace" -w /workspace -e GOCACHE=/workspace/.gocache "$GOIMAGE" \
  sh -c 'go build -o dist/wordfreq ./cmd/wordfreq && go vet ./... && go test ./...'; }
gm_pipeline() { "$BIN" run -C "$work/gm-p" --state "sqlite:$work/gm.db" --plain --parallelism 4; }
gd=0; gp=0
for _ in 1 2 3; do
  gd=$(awk -v a="$gd" -v b="$(elapsed gm_docker)" 'BEGIN { print a + b }')
  gp=$(awk -v a="$gp" -v b="$(elapsed gm_pipeline)" 'BEGIN { print a + b }')
done
row "(f) Go module warm build+vet+test: pipeline / one docker run, 3 rounds" "$(ratio "$gp" "$gd")x ($(printf %.2f "$gp")s / $(printf %.2f "$gd")s)" "<= 1.2x" "$(ok "$(ratio "$gp" "$gd")" 1.2)"
