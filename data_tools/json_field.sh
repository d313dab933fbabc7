#!/usr/bin/env bash
# json_field.sh FILE KEY — print the value of a top-level scalar field of a metrics.json
# (strings without their quotes, \" and \\ unescaped). Enough for the flat one-key-a-line files the
# chapters write; no Python needed.
set -euo pipefail
line=$(grep -m1 "^  \"$2\": " "$1" || true)
[ -n "$line" ] || exit 0
value=${line#*\": }
value=${value%,}
if [ "${value:0:1}" = '"' ]; then
  value=${value:1:${#value}-2}
  value=${value//\\\"/\"}
  value=${value//\\\\/\\}
fi
printf '%s\n' "$value"
