#!/usr/bin/env bash
# `cargo allocguard ci` for this event: against the pull request's base
# (BASE_SHA), or once for a push, keeping its results by commit. Writes
# `code`, `out`, `artifact` and `kept` to $GITHUB_OUTPUT (`ci` itself writes
# `verdict`, `comment` and `report`) and exits with ci's code.
set -uo pipefail
out="$RUNNER_TEMP/allocguard-out"
cache="$RUNNER_TEMP/allocguard-cache"
args=(--out "$out" --cache "$cache" --repeats "$REPEATS")
artifact=allocguard
if [ -n "$PARTITION" ]; then
  args+=(--partition "$PARTITION")
  artifact="allocguard-$(tr -c 'A-Za-z0-9\n' - <<<"$PARTITION")"
fi
if [ -n "${BASE_SHA:-}" ]; then
  args+=(--base "$BASE_SHA")
fi
# The workflow's `args`, split as the shell splits them (quotes kept).
extra=()
eval "extra=($EXTRA_ARGS)"
cargo allocguard ci "${args[@]}" "${extra[@]}"
code=$?
{
  echo "code=$code"
  echo "out=$out"
  echo "artifact=$artifact"
  if [ -z "${BASE_SHA:-}" ] && [ -d "$cache/$(git rev-parse HEAD)" ]; then
    echo "kept=true"
  fi
} >>"$GITHUB_OUTPUT"
exit "$code"
