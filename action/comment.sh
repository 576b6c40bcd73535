#!/usr/bin/env bash
# One comment per pull request, updated in place: the one whose body holds
# the marker `cargo allocguard ci` writes, or a new one.
set -euo pipefail
marker='<!-- allocguard pull request comment -->'
id=$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR/comments" --paginate \
  --jq ".[] | select(.body | contains(\"$marker\")) | .id" | head -n 1)
if [ -n "$id" ]; then
  gh api -X PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$COMMENT" >/dev/null
  echo "updated the pull request's comment $id"
else
  gh api -X POST "repos/$GITHUB_REPOSITORY/issues/$PR/comments" -F "body=@$COMMENT" >/dev/null
  echo "commented on the pull request"
fi
