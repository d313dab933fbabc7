#!/usr/bin/env bash
# tour.sh BIN_DIR OUT_DIR — `make run`: every chapter that exists, in order, in its --quick mode on
# its default data, then one summary table (chapter, dataset, headline metric, seconds) and what each
# run shows (its metrics.json "takeaway": the headline beside the chapter's own comparison).
set -uo pipefail
bin=${1:-build/bin}; out=${2:-runs}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
rows=(); shows=()
status=0
tour_start=$(date +%s.%N)
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
    rows+=("$(printf '%-30s %-26s %-14s %-8s %7.1f' "$name" "$("$here/json_field.sh" "$m" dataset)" \
      "$key" "$(printf '%.4f' "$("$here/json_field.sh" "$m" "$key")")" "$secs")")
    takeaway=$("$here/json_field.sh" "$m" takeaway)
    [ -n "$takeaway" ] && shows+=("${name:0:2}  $takeaway")
  else
    rows+=("$(printf '%-30s FAILED (exit code above)' "$name")")
    status=1
  fi
done
total=$(awk -v a="$tour_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
echo
echo "════════ summary (--quick runs, ${total} s in all; the full runs: make results) ════════"
printf '%-30s %-26s %-14s %-8s %7s\n' chapter dataset metric value seconds
for r in "${rows[@]}"; do echo "$r"; done
if [ ${#shows[@]} -gt 0 ]; then
  echo
  echo "what each run shows:"
  for r in "${shows[@]}"; do echo "  $r"; done
fi
exit $status
