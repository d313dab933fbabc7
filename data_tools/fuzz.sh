#!/usr/bin/env bash
# fuzz.sh — run every libFuzzer target of tests/fuzz/ for a set time and tabulate what happened.
#
#   data_tools/fuzz.sh BIN_DIR WORK_DIR SECONDS      (what `make fuzz` runs; FUZZ_SECONDS sets SECONDS)
#
# For each BIN_DIR/fuzz_<name>: its seed corpus is written into WORK_DIR/<name>/corpus (the target's own
# valid inputs, see tests/fuzz/fuzz_util.hpp), then libFuzzer mutates it for SECONDS seconds, keeping
# new inputs there, so a second `make fuzz` goes on from where the first stopped. A finding (crash,
# sanitizer report, leak, timeout, out-of-memory) is written as WORK_DIR/<name>/crash-* (or leak-,
# timeout-, oom-); reproduce it with `BIN_DIR/fuzz_<name> FILE`. Exit 1 when any target found something.
set -uo pipefail

bin=${1:?usage: fuzz.sh BIN_DIR WORK_DIR SECONDS}
work=${2:?usage: fuzz.sh BIN_DIR WORK_DIR SECONDS}
seconds=${3:-60}
case $seconds in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, found '$seconds'" >&2; exit 2 ;; esac

targets=("$bin"/fuzz_*)
if [ ! -x "${targets[0]}" ]; then
  echo "fuzz.sh: no fuzz_* programs in $bin (build them with: make fuzz)" >&2
  exit 2
fi
mkdir -p "$work"
bin=$(cd "$bin" && pwd) || exit 2
targets=("$bin"/fuzz_*)
printf '%-12s %12s %10s %8s %s\n' target executions exec/s corpus findings >"$work/summary.txt"
status=0
for t in "${targets[@]}"; do
  name=$(basename "$t"); name=${name#fuzz_}
  dir="$work/$name"
  mkdir -p "$dir/corpus"
  ATTN_FUZZ_SEEDS="$dir/corpus" "$t" || { echo "fuzz.sh: $t could not write its seeds" >&2; exit 1; }
  echo "== fuzz_$name: $seconds s"
  # -rss_limit_mb / -malloc_limit_mb: a loader that believes a header and allocates gigabytes is a finding
  (cd "$dir" && "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
     -max_len=65536 -print_final_stats=1 corpus >log.txt 2>&1)
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/log.txt" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$dir/log.txt" | grep -o '[0-9]*$' | tail -1)
  corpus=$(find "$dir/corpus" -type f | wc -l)
  found=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    status=1
    echo "fuzz_$name: FOUND something (exit $rc); see $dir/log.txt and:" >&2
    find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) >&2
    grep -m3 -A12 'ERROR:' "$dir/log.txt" >&2
  fi
  printf '%-12s %12s %10s %8s %s\n' "$name" "${execs:-?}" "${rate:-?}" "$corpus" "$found" >>"$work/summary.txt"
done
echo "== summary ($seconds s per target; corpora and logs in $work)"
cat "$work/summary.txt"
exit $status
