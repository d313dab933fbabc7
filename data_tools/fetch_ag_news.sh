#!/usr/bin/env bash
# fetch_ag_news.sh — the official AG News CSVs (Zhang, Zhao & LeCun 2015; for research and other
# non-commercial use): train.csv (120,000 rows), test.csv (7,600 rows), classes.txt.
#
#   data_tools/fetch_ag_news.sh [ROOT]    writes ROOT/ag_news/{train.csv,test.csv,classes.txt}
#                                          (ROOT: $1, else $ATTN_DATA, else ./data)
#
# Source: the copy of Zhang et al.'s ag_news_csv kept in a widely used GitHub repository (set
# AG_NEWS_BASE_URL to use another copy of the same three files). classes.txt is checked by
# sha256; the CSVs by their row counts (no newline inside their fields, so rows = lines).
# Re-running it does nothing when the files are present and correct.
set -euo pipefail

root="${1:-${ATTN_DATA:-./data}}"
dest="$root/ag_news"
base="${AG_NEWS_BASE_URL:-https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv}"
classes_sha=612dbfa932f07a6ed837295a7d5746ce7412e7bb4bc32ba919fdb3cda3a1b9b5
declare -A rows=([train.csv]=120000 [test.csv]=7600)

say() { echo "fetch_ag_news: $*"; }
die() { echo "fetch_ag_news: error: $*" >&2; exit 1; }
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi; }
fetch_url() {  # url out
  if command -v curl >/dev/null; then curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q -t 3 -T 20 -O "$2" "$1"
  else die "need curl or wget"; fi
}
good() {  # file
  case "$1" in
    classes.txt) [ -s "$dest/$1" ] && [ "$(sha256 "$dest/$1")" = "$classes_sha" ] ;;
    *) [ -s "$dest/$1" ] && [ "$(wc -l <"$dest/$1" | tr -d ' ')" = "${rows[$1]}" ] ;;
  esac
}

mkdir -p "$dest"
for f in classes.txt train.csv test.csv; do
  if good "$f"; then say "$f already present and verified"; continue; fi
  say "downloading $base/$f ..."
  fetch_url "$base/$f" "$dest/$f.part" || die "download of $f failed"
  mv "$dest/$f.part" "$dest/$f"
  good "$f" || { mv "$dest/$f" "$dest/$f.bad"; die "$f failed verification (kept as $f.bad): expected $([ "$f" = classes.txt ] && echo "sha256 $classes_sha" || echo "${rows[$f]} rows")"; }
  say "  $f verified"
done
say "done: $dest holds train.csv, test.csv and classes.txt"
say "use it with: export ATTN_DATA=$(cd "$root" && pwd)   (or --data-dir $root)"
