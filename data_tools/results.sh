#!/usr/bin/env bash
# results.sh BIN_DIR RESULTS_DIR — `make results`: every chapter's DEFAULT configuration (the numbers
# the READMEs quote), each run's figures copied into figures/, and one table in RESULTS_DIR/RESULTS.md.
# What follows a line starting "<!-- kept by make results" in the old RESULTS.md (the 3-seed table, the
# --full runs: measured by hand, hours long) is kept, after the new table.
set -uo pipefail
bin=${1:-build/bin}; res=${2:-results}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$res" figures
table="$res/RESULTS.md"
kept=""
if [ -f "$table" ]; then kept=$(sed -n '/^<!-- kept by make results/,$p' "$table"); fi
{
  echo "# Results of \`make results\`"
  echo
  echo "Each chapter's default run on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(date -u +%Y-%m-%d)."
  echo
  echo "| chapter | dataset | metric | value | seconds |"
  echo "|---|---|---|---|---|"
} > "$table"
status=0
for exe in "$bin"/[0-9][0-9]_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe")
  echo "════════ $name ════════"
  if "$exe" --out "$res/$name" 2>&1 | tee "$res/$name.log"; then
    m="$res/$name/metrics.json"
    key=$("$here/json_field.sh" "$m" metric)
    printf '| %s | %s | %s | %.4f | %.0f |\n' "$name" "$("$here/json_field.sh" "$m" dataset)" "$key" \
      "$("$here/json_field.sh" "$m" "$key")" "$("$here/json_field.sh" "$m" seconds)" >> "$table"
    cp "$res/$name"/*.png figures/ 2>/dev/null || true
  else
    echo "| $name | FAILED | | | |" >> "$table"
    status=1
  fi
done
if [ -n "$kept" ]; then printf '\n%s\n' "$kept" >> "$table"; fi
echo; cat "$table"
exit $status
