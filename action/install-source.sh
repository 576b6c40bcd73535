#!/usr/bin/env bash
# Where this workspace's allocguard comes from, so that cargo-allocguard is
# installed from the same place at the same version (the two must agree),
# and the cache key that names that install. Writes `key` and `install` to
# $GITHUB_OUTPUT; fails, naming the cause and the fix, when it cannot tell.
set -euo pipefail
say() { echo "::error::$*"; exit 1; }
# pkgid reads the lockfile; a library crate may not commit one.
root=$(dirname "$(cargo locate-project --workspace --message-format plain)")
if [ ! -f "$root/Cargo.lock" ]; then
  cargo generate-lockfile
fi
if ! id=$(cargo pkgid allocguard 2>/dev/null); then
  # A path dependency outside the repository is not checked out here, and
  # then cargo cannot even read the workspace: say so, not "no allocguard".
  why=$(cargo metadata --format-version 1 --no-deps 2>&1 >/dev/null || true)
  if grep -q 'allocguard' <<<"$why"; then
    path=$(grep -o "failed to read \`[^\`]*\`" <<<"$why" | head -n 1 | tr -d '`' | sed 's/^failed to read //')
    say "allocguard is a path dependency that is not in this repository (${path:-its path is outside the checkout}): CI checks out this repository alone, so it cannot build it. Depend on allocguard by git or by version instead (\`cargo allocguard init --git URL --rev REV\` writes that)"
  fi
  say "this workspace does not depend on allocguard; add it first (\`cargo allocguard init\` does)"
fi
case "$id" in
  registry+*)
    version=${id##*@}
    echo "key=registry-$version" >>"$GITHUB_OUTPUT"
    echo "install=cargo-allocguard --version =$version" >>"$GITHUB_OUTPUT"
    ;;
  git+*)
    url=${id#git+}
    url=${url%%#*}
    url=${url%%\?*}
    rev=$(awk '/^name = "allocguard"$/ { found = 1 }
      found && /^source = "git\+/ { sub(/.*#/, ""); sub(/"$/, ""); print; exit }' "$root/Cargo.lock")
    echo "key=git-$rev" >>"$GITHUB_OUTPUT"
    echo "install=--git $url --rev $rev cargo-allocguard" >>"$GITHUB_OUTPUT"
    ;;
  path+file://*)
    dir=${id#path+file://}
    dir=${dir%%#*}
    if [ ! -f "$dir/cargo-allocguard/Cargo.toml" ]; then
      say "allocguard is a path dependency ($dir) with no cargo-allocguard beside it; depend on it by version or git"
    fi
    # Built from this checkout: no cache key (it changes with every commit).
    echo "key=" >>"$GITHUB_OUTPUT"
    echo "install=--path $dir/cargo-allocguard" >>"$GITHUB_OUTPUT"
    ;;
  *)
    say "cannot tell where allocguard comes from: $id"
    ;;
esac
