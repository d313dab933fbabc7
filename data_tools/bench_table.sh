#!/usr/bin/env bash
# bench_table.sh [BENCH_TXT] [OUT_MD] — the `bench` lines of a `make bench` run (BENCH_TXT, default
# build/bench.txt, which `make bench` writes) as Markdown tables in OUT_MD (default results/BENCH.md):
# one table per model (threads, the two columns the line names — ours and pytorch, or cached and
# recomputed, or ours and one_thread —, ratio, wall and CPU seconds per round, load average, and
# the rest of the line, e.g. each PyTorch configuration's speed), and the conditions of the run.
# Lines come from tests/bench/bench_util.hpp:
#   bench NAME threads=N A=<x> B=<y> ratio=<x/y> wall_s=<a/b> cpu_s=<a/b> load=<L> [more key=value]
# A `bench` line of another shape (a skipped or failed benchmark) is listed under "Notes". The table that
# bench_matmul prints (its section of BENCH_TXT, after its "== …bench_matmul" header) is copied as it is.
# It only formats what the run printed: it measures nothing, and writes nothing when no line is found.
set -euo pipefail
txt=${1:-build/bench.txt}
out=${2:-results/BENCH.md}
[ -r "$txt" ] || { echo "bench_table.sh: no $txt (run make bench first)" >&2; exit 1; }
grep -q '^bench [^ ]* threads=' "$txt" || { echo "bench_table.sh: no bench lines in $txt" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
{
  echo "# Speed: \`make bench\`"
  echo
  echo "From $txt, written $(date -u -r "$txt" '+%Y-%m-%d %H:%M UTC'), on $(nproc) cores:" \
       "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Training samples per second (tokens per second for decoding), medians of alternating rounds in one run;"
  echo "against PyTorch, each side's number is its fastest process's (\`more\` gives every process's: \`ours_each\`,"
  echo "\`pytorch_…\`); wall and CPU seconds are per round, ours/theirs; load is the 1-minute load average at the end"
  echo "of the measurement (a shared machine makes ratios noisy: read them beside it)."
  # PyTorch's libraries, as its first child reported them, and a replaced OPENBLAS_CORETYPE (bench_util.hpp)
  ready=$(grep -m1 '^PyTorch ready' "$txt" || true)
  [ -z "$ready" ] || echo "PyTorch: \`${ready#PyTorch ready }\` (the first configuration's; \`more\` lists every" \
                          "configuration's speed, \`_avx512\` with ATEN_CPU_CAPABILITY=avx512)."
  replaced=$(grep -m1 '^OPENBLAS_CORETYPE=.* replaced by' "$txt" || true)
  [ -z "$replaced" ] || echo "$replaced."
  echo
  awk '
    /^bench [^ ]+ threads=/ {
      name = $2; delete v
      if (!(name in rows)) { order[++n] = name; rows[name] = 0 }
      split($4, a, "="); split($5, b, "=")
      if (!(name in head)) head[name] = a[1] " | " b[1]
      rest = ""
      for (i = 6; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "ratio" || kv[1] == "wall_s" || kv[1] == "cpu_s" || kv[1] == "load") v[kv[1]] = kv[2]
        else rest = rest (rest == "" ? "" : " ") $i
      }
      sub(/^threads=/, "", $3)
      line[name, ++rows[name]] = "| " $3 " | " a[2] " | " b[2] " | " v["ratio"] " | " v["wall_s"] " | " v["cpu_s"] " | " v["load"] " | " rest " |"
      next
    }
    /^bench / { notes[++m] = $0 }
    END {
      for (k = 1; k <= n; k++) {
        name = order[k]
        print "## " name; print ""
        print "| threads | " head[name] " | ratio | wall_s | cpu_s | load | more |"
        print "|---|---|---|---|---|---|---|---|"
        for (r = 1; r <= rows[name]; r++) print line[name, r]
        print ""
      }
      if (m) { print "## Notes"; print ""; for (k = 1; k <= m; k++) print "    " notes[k]; print "" }
    }' "$txt"
  # bench_matmul prints a table of its own (GFLOP/s beside OpenBLAS per shape and thread count): as it is
  if grep -q '^== .*bench_matmul' "$txt"; then
    echo "## matmul (bench_matmul)"; echo
    echo '```'
    sed -n '/^== .*bench_matmul/,/^== /p' "$txt" | sed '1d;/^== /d'
    echo '```'
    echo
  fi
} > "$out"
echo "bench_table.sh: $out ($(grep -c '^bench [^ ]* threads=' "$txt") lines)"
