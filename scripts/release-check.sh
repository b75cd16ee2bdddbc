#!/usr/bin/env bash
# `scripts/release-check.sh <tag> [<root>]`: checks that the tag can be released and prints its
# release notes. The tag is vMAJOR.MINOR.PATCH; package.json's version is the same (the command
# line's bundle and the break-glass copy carry it, and a unit test holds src/version.ts, which the
# actions' manifests and reports record, to it); CHANGELOG.md has a dated entry for it,
# "## [MAJOR.MINOR.PATCH] - YYYY-MM-DD", with text under it. The text is printed: the release notes.
# Every mismatch is one ::error:: line naming what to change; the exit status is 1.
set -euo pipefail

tag=${1:?usage: scripts/release-check.sh <tag> [<root>]}
root=${2:-"$(dirname "$0")/.."}

fail() {
  echo "::error::$1" >&2
  exit 1
}

[[ $tag =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] ||
  fail "the tag '$tag' is not a release tag: write vMAJOR.MINOR.PATCH, e.g. v1.2.0"
version=${tag#v}

package_version=$(jq -er .version "$root/package.json") || fail "package.json has no version"
[ "$package_version" = "$version" ] ||
  fail "package.json's version is $package_version, the tag says $version: set \"version\": \"$version\" in package.json and package-lock.json (npm version $version --no-git-tag-version) and in src/version.ts, then tag that commit"

grep -Fqx "export const TOOL_VERSION = '$version';" "$root/src/version.ts" ||
  fail "src/version.ts's TOOL_VERSION is not '$version': set it to the version of package.json"

heading="^## \\[${version//./\\.}\\] - [0-9]{4}-[0-9]{2}-[0-9]{2}\$"
grep -Eq "$heading" "$root/CHANGELOG.md" ||
  fail "CHANGELOG.md has no entry '## [$version] - YYYY-MM-DD': move what [Unreleased] lists under that heading, dated"

# The entry's text: from its heading to the next release heading or the link definitions.
notes=$(RELEASE_HEADING="## [$version] - " awk '
  found && (/^## / || /^\[[^]]+\]: /) { exit }
  found { print }
  index($0, ENVIRON["RELEASE_HEADING"]) == 1 { found = 1 }
' "$root/CHANGELOG.md")
[ -n "${notes//[[:space:]]/}" ] || fail "CHANGELOG.md's entry for $version is empty: say what the release changes"

printf '%s\n' "$notes"
