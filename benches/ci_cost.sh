#!/usr/bin/env bash
# What the CI job costs on the crate `cargo allocguard init` makes: the
# `cargo allocguard ci` step of the action (action.yml), as GitHub would run
# it for a push and then for pull requests, each job on a fresh checkout,
# cold (an empty target directory) or warm (the previous job's, as
# Swatinem/rust-cache restores it). For each: the release builds of the
# crate (`Compiling game`), the step's wall time, the verdict and the error
# annotations it printed.
#
#   bash benches/ci_cost.sh [OUT_DIR]
#
# Needs this repository's cargo-allocguard built (`cargo build -p
# cargo-allocguard --release`); the crate depends on this checkout by path.
# About 6 minutes here, most of it the cold release builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
bin="$root/target/release/cargo-allocguard"
test -x "$bin" || { echo "ci_cost: build it first: cargo build -p cargo-allocguard --release" >&2; exit 2; }
export PATH="$out/bin:$PATH"
mkdir -p "$out/bin"
ln -sf "$bin" "$out/bin/cargo-allocguard"
unset CI GITHUB_ACTIONS GITHUB_STEP_SUMMARY ALLOCGUARD_SCALE
g() { git -c user.name=t -c user.email=t@t "$@"; }

# The repository: `cargo new`, `init`, snapshots accepted, on main.
repo="$out/repo"
rm -rf "$repo"
cargo new -q --lib --vcs none --name game "$repo"
cd "$repo"
g init -q -b main
cp "$root/Cargo.lock" .
cargo allocguard init >/dev/null 2>&1
CARGO_TARGET_DIR="$out/local-target" cargo allocguard run -q >/dev/null 2>&1 || true
cargo allocguard review --accept >/dev/null
echo /target >.gitignore
g add -A && g commit -qm "the game, with allocguard"
base=$(git rev-parse HEAD)

# A pull request: a branch off main changed by sed expression $2, merged
# into main as GitHub's merge commit; prints that commit.
pull_request() {
  g checkout -q -b "$1" main
  sed -i "$2" tests/allocguard.rs
  g commit -qam "$1"
  g checkout -q -b "$1-merge" main
  g merge -q --no-ff -m merge "$1"
  git rev-parse HEAD
  g checkout -q main
}
unchanged=$(pull_request docs '1i // docs')
hot=$(pull_request hot 's/for x in w.data.iter_mut() {/std::hint::black_box(format!("{}", t.index));\n                        &/')

# One job: a fresh clone at $2, the target directory $3 (emptied when $4 is
# cold), `cargo allocguard ci` with the base $5 (none for a push).
job() {
  local name=$1 commit=$2 target=$3 temp=$4 base_sha=${5:-}
  local work="$out/job-$name"
  rm -rf "$work"
  git clone -q "$repo" "$work/checkout"
  git -C "$work/checkout" checkout -q "$commit"
  [ "$temp" = cold ] && rm -rf "$target"
  local args=(--out "$work/out" --cache "$out/results-cache")
  [ -n "$base_sha" ] && args+=(--base "$base_sha")
  local start end code=0
  start=$(date +%s.%N)
  (cd "$work/checkout" && CI=true GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$work/summary.md" \
    GITHUB_OUTPUT="$work/output" CARGO_TARGET_DIR="$target" \
    cargo allocguard ci "${args[@]}" >"$work/stdout" 2>"$work/stderr") || code=$?
  end=$(date +%s.%N)
  printf '| %s | %s | %d | %.0f s | %s | %d |\n' "$name" "$temp" \
    "$(grep -c '^ *Compiling game v' "$work/stderr" || true)" \
    "$(echo "$end - $start" | bc)" \
    "$(head -n 1 "$work/summary.md" | sed 's/^## allocguard: //')" \
    "$(grep -c '^::error' "$work/stdout" || true)"
  [ "$code" -le 1 ] || { cat "$work/stderr" >&2; exit 2; }
}

echo "| job | target | crate builds | time | verdict | annotations |"
echo "| --- | --- | ---: | ---: | --- | ---: |"
job push "$base" "$out/target-push" cold
job unchanged "$unchanged" "$out/target-pr" cold "$base"
job unchanged-warm "$unchanged" "$out/target-pr" warm "$base"
job hot "$hot" "$out/target-pr" warm "$base"
# Without the base's kept results: the base is checked out and built too.
rm -rf "$out/results-cache"
job no-cache "$unchanged" "$out/target-nocache" cold "$base"
