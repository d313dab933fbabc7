#!/usr/bin/env bash
# seeds.sh — one chapter's run over several seeds, and its headline metric as mean ± sd.
#
#   data_tools/seeds.sh BIN_DIR CHAPTER OUT_DIR [chapter flags ...]      (`make seeds CHAPTER=NN_name`)
#
# Runs BIN_DIR/CHAPTER --seed S --out OUT_DIR/seed_S [flags] for each S of $SEEDS (default "42 1 2":
# the chapter default 42 first, then the two the READMEs use), one after the other, each run's log kept
# as OUT_DIR/seed_S.log. The seed draws the initial weights, the dropout and the shuffling, and for the
# chapters that split their data themselves, the split too; test sets a chapter makes from fixed seeds
# (09's distortions, 10's canvases) stay the same. Then it reads each run's metrics.json (its "metric"
# field names the headline) and writes OUT_DIR/seeds.md: one line a seed and the mean ± sample standard
# deviation (n − 1). Exit 1 if a run failed (the others still run), 2 on bad arguments.
set -uo pipefail

usage="usage: seeds.sh BIN_DIR CHAPTER OUT_DIR [chapter flags ...]   (SEEDS=\"42 1 2\" by default)"
bin=${1:?$usage}; chapter=${2:?$usage}; out=${3:?$usage}
shift 3
here=$(cd "$(dirname "$0")" && pwd)
exe="$bin/$chapter"
seeds=${SEEDS:-42 1 2}
if [ ! -x "$exe" ]; then
  echo "seeds.sh: no program $exe (CHAPTER is a chapter's name, e.g. 00_foundations; build it with: make chapters)" >&2
  exit 2
fi
for s in $seeds; do
  case $s in '' | *[!0-9]*) echo "seeds.sh: SEEDS must be whole numbers, found '$s'" >&2; exit 2 ;; esac
done
# The output directory before any training: a run's results are never lost to a bad path.
if ! mkdir -p "$out" 2>/dev/null || [ ! -w "$out" ]; then
  echo "seeds.sh: cannot write into '$out' (expected a directory this user can create or write; choose another OUT_DIR)" >&2
  exit 2
fi

status=0; values=(); rows=()
for s in $seeds; do
  echo "════════ $chapter --seed $s $* ════════"
  start=$(date +%s)
  if "$exe" --seed "$s" --out "$out/seed_$s" "$@" > "$out/seed_$s.log" 2>&1; then
    m="$out/seed_$s/metrics.json"
    key=$("$here/json_field.sh" "$m" metric)
    v=$("$here/json_field.sh" "$m" "$key")
    if [ -z "$key" ] || [ -z "$v" ]; then
      echo "seeds.sh: $m has no headline (expected a \"metric\" field naming another field)" >&2
      status=1; continue
    fi
    values+=("$v")
    rows+=("| $s | $key | $(printf '%.4f' "$v") | $(( $(date +%s) - start )) |")
    echo "seed $s: $key = $v ($(( $(date +%s) - start )) s)"
  else
    echo "seeds.sh: $chapter --seed $s failed; its log: $out/seed_$s.log" >&2
    tail -5 "$out/seed_$s.log" >&2
    status=1
  fi
done

summary=$(printf '%s\n' "${values[@]}" | awk '{ x[NR] = $1; s += $1 } END {
  if (NR == 0) { print "no run finished"; exit }
  m = s / NR; v = 0; for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2
  if (NR > 1) printf "%.4f ± %.4f (mean ± sd over %d seeds)", m, sqrt(v / (NR - 1)), NR
  else printf "%.4f (one seed)", m }')
{
  echo "# $chapter over seeds"
  echo
  echo "\`$chapter $*\` with --seed $seeds on $(nproc) cores, $(date -u +%Y-%m-%d); load when it ended: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| seed | metric | value | seconds |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "**$summary**"
} > "$out/seeds.md"
echo; cat "$out/seeds.md"
exit $status
