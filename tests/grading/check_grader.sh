#!/usr/bin/env bash
# check_grader.sh BIN_DIR SOURCE_DIR — the autograder's promises, end to end (a `make test` case):
#   1. `make assignments`' untouched student edition scores 0 on every graded function;
#   2. the reference with ONE function broken per chapter (tests/grading/broken.txt) loses exactly
#      those functions' points and keeps every other point (so the rest of the reference scores
#      full marks, and a broken neighbour costs nothing);
#   3. grading is deterministic: the same submission graded twice gives the same results.json and
#      junit.xml, apart from the times.
set -euo pipefail
bin=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work="$bin/../grader_check"
rm -rf "$work"
mkdir -p "$work"
cd "$src"
field() { "$src/data_tools/json_field.sh" "$1" "$2"; }
failed_functions() {  # the functions of a junit.xml that lost points, sorted
  grep -o '<failure message="[^:"]*' "$1" | sed 's/<failure message="//' | sort
}
without_times() { grep -v '"execution_time"' "$1" | sed 's/ time="[^"]*"//g'; }
ok=1
check() {  # check WHAT EXPECTED GOT
  if [ "$2" != "$3" ]; then
    echo "FAILED: $1: expected '$2', got '$3'"
    ok=0
  else
    echo "ok: $1"
  fi
}

# 1. the student edition, graded twice (3.)
"$bin/make_assignments" --out "$work/student" > /dev/null
"$bin/autograde" --submission "$work/student" > "$work/student.log"
cp "$work/student/grading/results.json" "$work/first.json"
cp "$work/student/grading/junit.xml" "$work/first.xml"
max=$(field "$work/first.json" max_score)
functions=$(grep -c '<testcase ' "$work/first.xml")
check "the student edition's score" 0 "$(field "$work/first.json" score)"
check "the student edition's functions that lost points" "$functions" "$(failed_functions "$work/first.xml" | wc -l)"
"$bin/autograde" --submission "$work/student" > "$work/student2.log"
check "results.json of a second grading (times aside)" "" \
  "$(diff <(without_times "$work/first.json") <(without_times "$work/student/grading/results.json") || true)"
check "junit.xml of a second grading (times aside)" "" \
  "$(diff <(without_times "$work/first.xml") <(without_times "$work/student/grading/junit.xml") || true)"

# 2. the reference with one function broken per chapter
mkdir -p "$work/broken"
cp -r chapters "$work/broken/chapters"
expected=""
lost=0
while IFS='|' read -r chapter file function from to; do
  case "$chapter" in '#'* | '') continue ;; esac
  chapter=$(echo $chapter) file=$(echo $file) function=$(echo $function)
  from=${from# } from=${from% } to=${to# } to=${to% }
  path=$(ls -d "$work"/broken/chapters/"$chapter"_*)/$file
  FROM="$from" TO="$to" perl -0pi -e '$n = s/\Q$ENV{FROM}\E/$ENV{TO}/; END { exit($n ? 0 : 1) }' "$path" ||
    { echo "FAILED: tests/grading/broken.txt: '$from' is not in $path"; exit 1; }
  expected+="$function"$'\n'
  points=$(grep -m1 "^$function |" "$src"/chapters/"$chapter"_*/grading.txt | awk -F'|' '{print $2}')
  lost=$((lost + points))
done < tests/grading/broken.txt
"$bin/autograde" --submission "$work/broken" > "$work/broken.log"
check "the functions that lost points with one broken per chapter" "$(printf '%s' "$expected" | sort)" \
  "$(failed_functions "$work/broken/grading/junit.xml")"
check "the score with one function broken per chapter" "$((max - lost))" "$(field "$work/broken/grading/results.json" score)"
if [ "$ok" = 1 ]; then
  echo "the grader keeps its promises ($functions functions, $max points)"
  rm -rf "$work"
else
  echo "logs and results in $work"
  exit 1
fi
