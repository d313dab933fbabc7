#!/usr/bin/env bash
# json_field.sh FILE KEY — print the value of a top-level scalar field of a metrics.json
# (strings without their quotes). Enough for the flat files the chapters write; no Python needed.
set -euo pipefail
sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\} *$/\1/p" "$1" | head -n 1
