#!/usr/bin/env bash
# tour.sh BIN_DIR OUT_DIR — `make run`: every chapter that exists, in order, in its --quick mode on
# its default data, then one summary table (chapter, dataset, headline metric, seconds).
set -uo pipefail
bin=${1:-build/bin}; out=${2:-runs}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
rows=()
status=0
for exe in "$bin"/[0-9][0-9]_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe")
  echo
  echo "════════ $name --quick ════════"
  start=$(date +%s.%N)
  if "$exe" --quick --out "$out/$name"; then
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    m="$out/$name/metrics.json"
    key=$("$here/json_field.sh" "$m" metric)
    rows+=("$(printf '%-24s %-20s %-14s %-8s %7.1f' "$name" "$("$here/json_field.sh" "$m" dataset)" \
      "$key" "$(printf '%.4f' "$("$here/json_field.sh" "$m" "$key")")" "$secs")")
  else
    rows+=("$(printf '%-24s FAILED (exit code above)' "$name")")
    status=1
  fi
done
echo
echo "════════ summary (--quick runs; full runs: make results) ════════"
printf '%-24s %-20s %-14s %-8s %7s\n' chapter dataset metric value seconds
for r in "${rows[@]}"; do echo "$r"; done
exit $status
