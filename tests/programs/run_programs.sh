#!/usr/bin/env bash
# run_programs.sh BIN_DIR OUT_DIR — every chapter program run end to end on a tiny synthetic task:
# it must exit 0, write metrics.json with its headline metric and the figures it names, and a run
# stopped after epoch 1, saved and resumed with --load must end with the same headline number as the
# uninterrupted run. (The tests of each chapter check the pieces; this checks the programs' main().)
set -uo pipefail
bin=${1:?BIN_DIR}; out=${2:?OUT_DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
field() { "$here/data_tools/json_field.sh" "$1" "$2"; }
rm -rf "$out"; mkdir -p "$out"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# tiny arguments per chapter (epochs 2, so that --stop-after 1 + --load resumes one epoch)
declare -A tiny=(
  [00_foundations]="--data synthetic --epochs 2 --max-train 600 --val 200 --hidden 32"
  [01_seq2seq]="--data synthetic --synth-pairs 300 --synth-max-len 8 --epochs 2 --emb 8 --hidden 12 --beam 2 --batch 16"
  [02_additive_attention]="--data synthetic --synth-pairs 300 --synth-max-len 8 --epochs 2 --emb 8 --hidden 12 --attn 8 --beam 2 --batch 16"
  [03_multiplicative_attention]="--data synthetic --synth-pairs 300 --synth-max-len 8 --epochs 2 --emb 8 --hidden 12 --beam 2 --batch 16"
  [07_transformer]="--data synthetic --synth-pairs 300 --synth-max-len 8 --epochs 2 --dim 16 --heads 2 --ffn 16 --enc-layers 1 --dec-layers 1 --warmup 10 --beam 2 --batch 16"
  [06_self_attention]="--data relations --synth-n 300 --epochs 2 --dim 16 --heads 2 --ffn 16 --encoder-layers 1 --batch 16"
  [04_local_hard_soft_attention]="--data synthetic --synth-pairs 300 --synth-max-len 8 --epochs 2 --emb 8 --hidden 12 --beam 2 --batch 16"
  [05_attention_classifier]="--data synthetic --synth-n 400 --epochs 2 --emb 8 --hidden 8 --attn 8 --mlp 8 --buckets 200 --batch 32"
  [08_vision_transformer]="--data synthetic --epochs 2 --max-train 300 --max-test 100 --val 100 --dim 16 --heads 2 --ffn 16 --depth 1 --batch 32 --warmup 5 --shift 1 --mlp-hidden 16 --cnn-c1 4 --cnn-c2 4 --cnn-fc 16"
  [09_spatial_transformer]="--data synthetic --epochs 2 --max-train 300 --max-test 100 --val 100 --model stn"
  [10_recurrent_attention]="--data synthetic --epochs 2 --max-train 300 --max-test 100 --val 100 --model ram"
  [11_attention_in_cnns]="--data synthetic --epochs 2 --max-train 300 --max-test 100 --val 100 --model cbam --widths 4,6,8 --warmup 5"
)
for exe in "$bin"/[0-9][0-9]_*; do
  name=$(basename "$exe")
  args=${tiny[$name]:-}
  if [ -z "$args" ]; then fail "$name: no tiny arguments in $0 (add them)"; continue; fi
  o="$out/$name"
  # shellcheck disable=SC2086
  if ! "$exe" $args --out "$o/whole" > "$o.whole.log" 2>&1; then fail "$name: exit $? (log: $o.whole.log)"; continue; fi
  m="$o/whole/metrics.json"
  key=$(field "$m" metric)
  value=$(field "$m" "$key")
  [ -n "$key" ] && [ -n "$value" ] || { fail "$name: metrics.json has no headline ($m)"; continue; }
  pngs=$(ls "$o/whole"/*.png 2>/dev/null | wc -l)
  [ "$pngs" -gt 0 ] || fail "$name: no figure in $o/whole"
  # a --save that cannot be written is refused before any training (and a link is never replaced)
  # shellcheck disable=SC2086
  if "$exe" $args --save "$o/no_such_dir/x.ckpt" --out "$o/badsave" > "$o.badsave.log" 2>&1; then
    fail "$name: --save into a missing directory exited 0"
  elif grep -q "Epoch 1" "$o.badsave.log" || ! grep -q -- "--save" "$o.badsave.log"; then
    fail "$name: --save into a missing directory was not refused before training with a message naming --save ($o.badsave.log)"
  fi
  ln -sf "$o.whole.log" "$o.link.ckpt"
  # shellcheck disable=SC2086
  "$exe" $args --save "$o.link.ckpt" --out "$o/badsave" > "$o.badsave.log" 2>&1 && fail "$name: --save onto a symbolic link exited 0"
  [ -L "$o.link.ckpt" ] || fail "$name: --save replaced a symbolic link"
  # shellcheck disable=SC2086
  if "$exe" $args --load "$o/missing.ckpt" --out "$o/badload" > "$o.badload.log" 2>&1; then
    fail "$name: --load of a missing file exited 0"
  elif ! grep -q -- "--load $o/missing.ckpt" "$o.badload.log" || grep -q "Epoch 1" "$o.badload.log"; then
    fail "$name: --load of a missing file was not refused at once, naming --load ($o.badload.log)"
  fi
  # stop after epoch 1 and save, then resume with --load: the same headline (and test loss) to the digit
  # (the help read whole first: grep -q stops at its match, and under pipefail the program's SIGPIPE on its
  # next line would read as a failure)
  help=$("$exe" --help 2>&1)
  if ! grep -q -- "--stop-after" <<< "$help"; then fail "$name: has no --stop-after flag"; continue; fi
  # shellcheck disable=SC2086
  "$exe" $args --stop-after 1 --save "$o/half.ckpt" --out "$o/first" > "$o.first.log" 2>&1 || { fail "$name: --stop-after 1 --save: exit $?"; continue; }
  # shellcheck disable=SC2086
  "$exe" $args --load "$o/half.ckpt" --out "$o/second" > "$o.second.log" 2>&1 || { fail "$name: --load: exit $?"; continue; }
  resumed=$(field "$o/second/metrics.json" "$key")
  [ "$resumed" = "$value" ] || fail "$name: resumed run ends at $key = $resumed, the uninterrupted one at $value"
  loss_a=$(field "$m" test_loss); loss_b=$(field "$o/second/metrics.json" test_loss)
  [ "$loss_a" = "$loss_b" ] || fail "$name: resumed run's test_loss $loss_b, the uninterrupted one's $loss_a"
  echo "ok   $name: $key = $value (resumed: $resumed), $pngs figures"
done
# a --batch larger than the training set is cut to it, with a notice (chapter 00 once hung, sizing a
# start-up measurement by --batch), and buffers are sized by the cut batch: the run must fit in 2 GB of
# address space on 2 threads (chapter 08 once sized its batch buffers by --batch: 3.5 GB for 300
# images; each thread adds its stack and malloc arena to the address space, hence a fixed count).
# ATTN_PROGRAM_TIMEOUT: longer under ThreadSanitizer, whose 5–15× slowdown alone took chapter 08 past
# 120 s; ATTN_PROGRAM_MEMORY_KB: unlimited under the sanitizers, whose shadow memory reserves
# terabytes of address space (CMakeLists.txt).
for name in 00_foundations 05_attention_classifier 06_self_attention 08_vision_transformer 09_spatial_transformer 10_recurrent_attention 11_attention_in_cnns; do
  # shellcheck disable=SC2086
  (ulimit -v "${ATTN_PROGRAM_MEMORY_KB:-2000000}" &&
    timeout "${ATTN_PROGRAM_TIMEOUT:-120}" "$bin/$name" ${tiny[$name]} --epochs 1 --batch 1000000 --threads 2 --out "$out/$name/bigbatch") > "$out/$name.bigbatch.log" 2>&1 ||
    fail "$name: --batch 1000000 exit $? ($out/$name.bigbatch.log)"
  grep -q -- "--batch 1000000 is more than the" "$out/$name.bigbatch.log" || fail "$name: --batch 1000000 was not cut to the training set"
done
# chapter 11's --smoothing: read, shown in the budget line and metrics.json; out of its range a flag error
ch11=11_attention_in_cnns
# shellcheck disable=SC2086
"$bin/$ch11" ${tiny[$ch11]} --epochs 1 --smoothing 0.1 --out "$out/$ch11/smoothing" > "$out/$ch11.smoothing.log" 2>&1 ||
  fail "$ch11 --smoothing 0.1: exit $? ($out/$ch11.smoothing.log)"
grep -q "label smoothing 0.1;" "$out/$ch11.smoothing.log" || fail "$ch11 --smoothing 0.1: not in the budget line"
[ "$(field "$out/$ch11/smoothing/metrics.json" smoothing)" = "0.1" ] || fail "$ch11 --smoothing 0.1: metrics.json's smoothing is not 0.1"
"$bin/$ch11" --smoothing 1 > "$out/$ch11.badsmoothing.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "$ch11 --smoothing 1: exit $rc, expected 2 (a flag error)"
# chapter 11's --seeds: the headline's accuracy is the mean over the seeds, and its error is 100 − that
# mean (not the first seed's error); report_seed names the seed whose F1s and curves are kept
# shellcheck disable=SC2086
"$bin/$ch11" ${tiny[$ch11]} --epochs 1 --seeds 2 --out "$out/$ch11/seeds" > "$out/$ch11.seeds.log" 2>&1 ||
  fail "$ch11 --seeds 2: exit $? ($out/$ch11.seeds.log)"
m="$out/$ch11/seeds/metrics.json"
awk -v a="$(field "$m" test_accuracy)" -v e="$(field "$m" test_error_percent)" \
  'BEGIN { d = 100 * (1 - a) - e; exit !(d < 1e-6 && d > -1e-6) }' ||
  fail "$ch11 --seeds 2: test_error_percent is not 100 × (1 − the mean test_accuracy) ($m)"
[ "$(field "$m" report_seed)" = "42" ] || fail "$ch11 --seeds 2: metrics.json's report_seed is not 42 ($m)"
# chapter 08's --erase: in the training line and metrics.json; --full shifts MNIST-like data by 2 pixels,
# Fashion-MNIST not at all (its own default: the shifts cost it accuracy), unless --shift is given
ch08=08_vision_transformer
small8="--model mlp --epochs 1 --max-train 300 --max-test 100 --val 100 --mlp-hidden 16"
# shellcheck disable=SC2086
"$bin/$ch08" --data synthetic $small8 --erase 0.25 --out "$out/$ch08/erase" > "$out/$ch08.erase.log" 2>&1 ||
  fail "$ch08 --erase 0.25: exit $? ($out/$ch08.erase.log)"
grep -q "random erasing p 0.25," "$out/$ch08.erase.log" || fail "$ch08 --erase 0.25: not in the training line"
[ "$(field "$out/$ch08/erase/metrics.json" erase)" = "0.25" ] || fail "$ch08 --erase 0.25: metrics.json's erase is not 0.25"
for data_shift in "synthetic 2" "fashion-mnist 0"; do
  read -r data px <<< "$data_shift"
  # shellcheck disable=SC2086
  "$bin/$ch08" --data "$data" --full $small8 --out "$out/$ch08/full_$data" > "$out/$ch08.full_$data.log" 2>&1 ||
    fail "$ch08 --full --data $data: exit $? ($out/$ch08.full_$data.log)"
  grep -q "shifts of up to $px pixels" "$out/$ch08.full_$data.log" ||
    fail "$ch08 --full --data $data: expected shifts of up to $px pixels"
done
# shellcheck disable=SC2086
"$bin/$ch08" --data fashion-mnist --full --shift 1 $small8 --out "$out/$ch08/full_shift1" > "$out/$ch08.full_shift1.log" 2>&1
grep -q "shifts of up to 1 pixels" "$out/$ch08.full_shift1.log" || fail "$ch08 --full --shift 1 on Fashion-MNIST: the flag did not win"
# flag errors are exit 2 with a flag message, in every chapter (chapter 00 once answered exit 1)
for exe in "$bin"/[0-9][0-9]_*; do
  name=$(basename "$exe")
  for bad in "--data imagenet" "--epochs 0" "--batch -3"; do
    # shellcheck disable=SC2086
    "$exe" $bad > "$out/$name.badflag.log" 2>&1
    rc=$?
    [ "$rc" -eq 2 ] || fail "$name $bad: exit $rc, expected 2 (a flag error) ($out/$name.badflag.log)"
  done
done
"$bin/00_foundations" --hidden 0 > "$out/00.hidden0.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "00_foundations --hidden 0: exit $rc, expected 2"
# --full of 09 and 10 reproduces MNIST results: without MNIST it stops before training (exit 1, naming
# --full), where --data auto once trained chapter 10 for 55 minutes on Fashion-MNIST unnoticed
mkdir -p "$out/no_mnist/fashion-mnist"
for name in 09_spatial_transformer 10_recurrent_attention; do
  ATTN_DATA="$out/no_mnist" timeout 60 "$bin/$name" --full --out "$out/$name.nomnist" > "$out/$name.nomnist.log" 2>&1
  rc=$?
  { [ "$rc" -eq 1 ] && grep -q -- "--full: expected MNIST" "$out/$name.nomnist.log" && ! grep -q "^Epoch" "$out/$name.nomnist.log"; } ||
    fail "$name --full without MNIST: exit $rc, expected 1 and the --full error before any epoch ($out/$name.nomnist.log)"
done
# data_tools/seeds.sh (make seeds): two seeds give two different runs, and seeds.md their mean ± sd
# shellcheck disable=SC2086
SEEDS="42 1" "$here/data_tools/seeds.sh" "$bin" 00_foundations "$out/seeds" ${tiny[00_foundations]} \
  > "$out/seeds.log" 2>&1 || fail "seeds.sh: exit $? ($out/seeds.log)"
a=$(field "$out/seeds/seed_42/metrics.json" test_accuracy); b=$(field "$out/seeds/seed_1/metrics.json" test_accuracy)
m=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", (a + b) / 2 }')
grep -q "^\*\*$m ± .* over 2 seeds" "$out/seeds/seeds.md" 2>/dev/null ||
  fail "seeds.sh: seeds.md should give the mean $m of $a and $b ($out/seeds/seeds.md)"
SEEDS="4x" "$here/data_tools/seeds.sh" "$bin" 00_foundations "$out/seeds_bad" > /dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "seeds.sh with SEEDS=4x: exit $rc, expected 2"
# data_tools/holdout_pairs: a held-out file no run trains on, split by English sentence, the same for a
# seed; a chapter trains on the rest (--data-dir) and scores the file (--eval-file); bad input is exit 2
ho="$out/holdout"
mkdir -p "$ho"
"$bin/make_synthetic" --set translation --n 400 --max-len 8 --seed 3 --out "$ho/src" > /dev/null 2>&1 ||
  fail "make_synthetic for the holdout test: exit $?"
{ head -3 "$ho/src/translation.tsv"; head -3 "$ho/src/translation.tsv"; tail -n +4 "$ho/src/translation.tsv"; } > "$ho/fra.txt"
for run in a b; do
  "$bin/holdout_pairs" --in "$ho/fra.txt" --out "$ho/$run" --frac 0.2 --seed 5 > "$ho/$run.log" 2>&1 ||
    fail "holdout_pairs: exit $? ($ho/$run.log)"
done
kept=$(wc -l < "$ho/a/fra-eng/fra.txt"); held=$(wc -l < "$ho/a/fra-eng-heldout.txt")
[ $((kept + held)) -eq 403 ] && [ "$held" -gt 40 ] && [ "$kept" -gt 250 ] ||
  fail "holdout_pairs: $kept + $held lines, expected 403 with about 20 % held out"
cmp -s "$ho/a/fra-eng-heldout.txt" "$ho/b/fra-eng-heldout.txt" || fail "holdout_pairs: the same seed gave another file"
both=$(comm -12 <(cut -f1 "$ho/a/fra-eng/fra.txt" | sort -u) <(cut -f1 "$ho/a/fra-eng-heldout.txt" | sort -u) | wc -l)
[ "$both" -eq 0 ] || fail "holdout_pairs: $both English sentences on both sides"
printf 'one\tun\ntwo only one field\n' > "$ho/bad.txt"
"$bin/holdout_pairs" --in "$ho/bad.txt" --out "$ho/bad" > "$ho/bad.log" 2>&1
rc=$?
{ [ "$rc" -eq 2 ] && grep -q "bad.txt:2" "$ho/bad.log" && [ ! -e "$ho/bad/fra-eng-heldout.txt" ]; } ||
  fail "holdout_pairs on a bad line: exit $rc, expected 2 naming bad.txt:2 and nothing written ($ho/bad.log)"
"$bin/01_seq2seq" --data fra-eng --data-dir "$ho/a" --eval-file "$ho/a/fra-eng-heldout.txt" --epochs 1 --emb 8 \
  --hidden 12 --beam 2 --batch 16 --min-freq 1 --out "$ho/ch01" > "$ho/ch01.log" 2>&1 || fail "01_seq2seq on the holdout split: exit $?"
grep -q "eval file $ho/a/fra-eng-heldout.txt: $held pairs" "$ho/ch01.log" ||
  fail "01_seq2seq --eval-file of the held-out file: no BLEU line for its $held pairs ($ho/ch01.log)"
grep -q "\"path\": \"$ho/a/fra-eng-heldout.txt\"" "$ho/ch01/metrics.json" ||
  fail "01_seq2seq --eval-file: metrics.json's eval_file does not name the held-out file"
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
