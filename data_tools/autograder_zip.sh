#!/usr/bin/env bash
# autograder_zip.sh OUT.zip [CHAPTERS] [TIMEOUT] — the Gradescope package (make autograder-zip):
# the course's code and tests, Gradescope's setup.sh and run_autograder at the top
# (data_tools/gradescope/), and config.env with the chapters to grade (02,05; empty: every chapter
# with a grading.txt) and the seconds each test case may run.
set -euo pipefail
out=$1 chapters=${2:-} timeout=${3:-120}
for ch in ${chapters//,/ }; do
  ls chapters/"$ch"_*/grading.txt > /dev/null 2>&1 ||
    { echo "autograder-zip: CHAPTERS=$chapters: chapter $ch has no grading.txt (chapters: $(ls chapters | cut -c1-2 | tr '\n' ' '))" >&2; exit 1; }
done
case "$timeout" in '' | *[!0-9]*) echo "autograder-zip: TIMEOUT=$timeout: expected whole seconds" >&2; exit 1 ;; esac
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r CMakeLists.txt Makefile common chapters tests data_tools "$stage"/
rm -rf "$stage"/chapters/*/figures  # not needed to grade
cp data_tools/gradescope/setup.sh data_tools/gradescope/run_autograder "$stage"/
printf 'CHAPTERS=%s\nTIMEOUT=%s\n' "$chapters" "$timeout" > "$stage"/config.env
mkdir -p "$(dirname "$out")"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
rm -f "$out_abs"
(cd "$stage" && cmake -E tar cf "$out_abs" --format=zip -- *)
echo "wrote $out ($(du -h "$out_abs" | cut -f1); chapters: ${chapters:-all with a grading.txt}; $timeout s per test case)"
echo "upload it as the autograder of a Gradescope programming assignment (Ubuntu base image)"
