#!/usr/bin/env bash
# `fundus screen` of this checkout against an older checkout (e.g. main at a65b440), end to end, interleaved:
# each round runs both versions' own `fundus screen` command on the same files and model folder, the order
# alternating between rounds. One row per run goes to WORK/runs.tsv as soon as it ends (a stopped run keeps the
# rounds it finished); the medians are printed at the end.
#
# Usage: benchmarks/run-screen-vs-baseline.sh OLD_ROOT [--rounds 3] [--first 1 (number of the first round, to add rounds)] [--threads 2] [--batch 2] [--work DIR]
#   OLD_ROOT: the other checkout, built with `mvn -o -q -B -Dmaven.test.skip=true -pl cli -am package` there
#   (never installed); this checkout is built the same way, plus `-pl cli,benchmarks` for the inputs.
#   Inputs (made once, reused): WORK/dicom (500 synthetic OP DICOM files, 1024 px) and WORK/model (a fresh binary
#   ResNet-50 at 512 px in the card format both versions read), written by ScreenBaselineInputs.
# Each run is launched as that version's ./fundus script launches the CLI (java -Xmx6g -Dfundus.home=ROOT -cp
# ROOT/cli/target/classes:$(cat ROOT/cli/target/runtime-classpath.txt) org.fundus4j.cli.FundusCli), without its
# build step, under /usr/bin/time for the process's wall, user and sys time.
set -euo pipefail
NEW="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OLD="$(cd "${1:?usage: $0 OLD_ROOT [--rounds N] [--threads N] [--batch N] [--work DIR]}" && pwd)"
shift
FIRST=1 ROUNDS=3 THREADS=2 BATCH=2 WORK=/tmp/screen-vs-baseline IMAGES=500
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2 ;;
    --first) FIRST=$2 ;;
    --threads) THREADS=$2 ;;
    --batch) BATCH=$2 ;;
    --work) WORK=$2 ;;
    --images) IMAGES=$2 ;;
    *) echo "unknown option $1 (known: --rounds --first --threads --batch --work --images)" >&2; exit 2 ;;
  esac
  shift 2
done
for root in "$OLD" "$NEW"; do
  [ -f "$root/cli/target/runtime-classpath.txt" ] || { echo "$root is not built (cli/target/runtime-classpath.txt)" >&2; exit 2; }
done
if [ ! -f "$WORK/model/model-card.json" ]; then
  java -Xmx4g -cp "$NEW/benchmarks/target/classes:$(cat "$NEW/benchmarks/target/runtime-classpath.txt")" \
    org.fundus4j.benchmarks.ScreenBaselineInputs --images "$IMAGES" --work "$WORK"
fi
OLD_NAME="$(git -C "$OLD" rev-parse --short HEAD)"
NEW_NAME="$(git -C "$NEW" rev-parse --short HEAD)"
TSV="$WORK/runs.tsv"
[ -f "$TSV" ] || printf 'round\tversion\tcommit\tstart_utc\tloadavg_before\tloadavg_after\twall_s\tuser_s\tsys_s\tmax_rss_kb\tscreen_images_per_s\timages\n' > "$TSV"

run() { # round version root
  local round=$1 version=$2 root=$3 out="$WORK/out-$1-$2" log="$WORK/log-$1-$2.txt"
  rm -rf "$out"
  local before started
  before="$(cut -d' ' -f1-3 /proc/loadavg)"
  started="$(date -u +%H:%M:%S)"
  echo "round $round $version ($(git -C "$root" rev-parse --short HEAD)) start $started, load $before" >&2
  /usr/bin/time -f 'TIME %e %U %S %M' -o "$log.time" \
    java -Xmx6g -Dfundus.home="$root" -cp "$root/cli/target/classes:$(cat "$root/cli/target/runtime-classpath.txt")" \
    org.fundus4j.cli.FundusCli screen --model "$WORK/model" --out "$out" --threads "$THREADS" --batch "$BATCH" \
    "$WORK/dicom" > "$log" 2>&1 || echo "round $round $version exited non-zero: see $log" >&2
  local screened rate
  screened="$(grep -c ',screened,' "$out/summary.csv" || true)"
  # the CLI's own rate, recomputed from its "N files: ..." and "S s, R images/s end to end" lines for more digits
  # (it times the screening of the files, after the model is loaded and exported to ONNX)
  rate="$(awk '/ files: /{n=$1} / images\/s end to end/{s=$1} END{if (s > 0) printf "%.4f", n / s; else print 0}' "$log")"
  read -r _ wall user sys rss < <(grep '^TIME ' "$log.time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$version" "$(git -C "$root" rev-parse --short HEAD)" \
    "$started" "$before" "$(cut -d' ' -f1-3 /proc/loadavg)" "$wall" "$user" "$sys" "$rss" "$rate" "$screened" >> "$TSV"
  tail -1 "$TSV" >&2
}

for round in $(seq "$FIRST" $((FIRST + ROUNDS - 1))); do
  if [ $((round % 2)) -eq 1 ]; then
    run "$round" old "$OLD"; run "$round" new "$NEW"
  else
    run "$round" new "$NEW"; run "$round" old "$OLD"
  fi
done
echo "old = $OLD_NAME, new = $NEW_NAME, threads $THREADS, batch $BATCH; runs in $TSV" >&2
/usr/bin/python3 - "$TSV" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
per = {}
for r in rows:
    n = int(r['images'])
    cpu = float(r['user_s']) + float(r['sys_s'])
    per.setdefault(r['version'], []).append((float(r['screen_images_per_s']), n / float(r['wall_s']), cpu / n, r['round']))
for v, xs in per.items():
    for k, name in ((0, 'fundus screen images/s'), (1, 'images/s over the process wall time'), (2, 'CPU s per image')):
        vals = [x[k] for x in xs]
        print(f"{v}: {name}: median {statistics.median(vals):.3f} (min {min(vals):.3f}, max {max(vals):.3f}, {len(vals)} runs)")
if 'old' in per and 'new' in per:
    rounds = {}
    for v, xs in per.items():
        for x in xs:
            rounds.setdefault(x[3], {})[v] = x
    full = [r for r in rounds.values() if 'old' in r and 'new' in r]
    for k, name in ((0, 'throughput new/old'), (2, 'CPU per image new/old')):
        ratios = [r['new'][k] / r['old'][k] for r in full]
        print(f"{name}: median {statistics.median(ratios):.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f}, {len(ratios)} rounds)")
EOF
