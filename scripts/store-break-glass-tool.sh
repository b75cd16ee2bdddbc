#!/usr/bin/env bash
# Stores the command line of this dr-actions checkout (dist/cli/dr-actions.mjs), its SHA-256 and
# the break-glass runbook under <prefix>tools/ of the backup bucket and of its copy, beside the
# backups: what an engineer with AWS access and no GitHub fetches, checks and runs
# (docs/break-glass.md). Run by the backup workflow after each backup, with the job's credentials.
#
#   <prefix>tools/dr-actions-<version>.mjs          the bundle, one file, Node 20+
#   <prefix>tools/dr-actions-<version>.mjs.sha256   "<sha256>  dr-actions-<version>.mjs" (sha256sum -c reads it)
#   <prefix>tools/break-glass.md                    the runbook of the same checkout
#
# The .sha256 is written last, so it names a bundle only once the bundle is whole. When it already
# names this bundle, nothing is written: nightly runs of one version store it once. A different
# bundle under the same version (a build between releases) replaces it; on a versioned bucket the
# earlier one stays as an older version.
#
# Environment: DR_ACTIONS_DIR (the checkout), BUCKET, REGION, PREFIX; optional ENDPOINT_URL,
# COPY_BUCKET, COPY_REGION, COPY_MODE (replication: S3 replicates the bucket, nothing is written
# to the copy).
set -euo pipefail

: "${DR_ACTIONS_DIR:?the dr-actions checkout}" "${BUCKET:?the backup bucket}" "${REGION:?the bucket region}"
# GitHub's runners have these; a minimal self-hosted runner image may not.
for command in aws jq sha256sum; do
  if ! command -v "$command" >/dev/null; then
    echo "::error::$command is not on this runner, so the break-glass tool was not stored beside the backups (the backup itself is stored): add the AWS CLI, jq and coreutils to the runner's image (docs/running-in-your-vpc.md)"
    exit 1
  fi
done
tool="$DR_ACTIONS_DIR/dist/cli/dr-actions.mjs"
runbook="$DR_ACTIONS_DIR/docs/break-glass.md"
version=$(jq -er .version "$DR_ACTIONS_DIR/package.json")
name="dr-actions-$version.mjs"
sha=$(sha256sum "$tool" | cut -d ' ' -f 1)

store() {
  local bucket=$1 region=$2
  local aws=(aws --region "$region")
  if [ -n "${ENDPOINT_URL:-}" ]; then aws+=(--endpoint-url "$ENDPOINT_URL"); fi
  local dest="s3://$bucket/${PREFIX:-}tools"
  local stored
  stored=$("${aws[@]}" s3 cp --only-show-errors "$dest/$name.sha256" - 2>/dev/null | cut -d ' ' -f 1 || true)
  if [ "$stored" = "$sha" ]; then
    echo "$dest/$name is already this bundle (sha256 $sha)"
    return
  fi
  "${aws[@]}" s3 cp --only-show-errors "$tool" "$dest/$name"
  "${aws[@]}" s3 cp --only-show-errors "$runbook" "$dest/break-glass.md"
  printf '%s  %s\n' "$sha" "$name" | "${aws[@]}" s3 cp --only-show-errors - "$dest/$name.sha256"
  echo "stored $dest/$name (sha256 $sha), $name.sha256 and break-glass.md"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    echo "Break-glass tool stored: \`$dest/$name\` (sha256 \`$sha\`) and \`break-glass.md\`" >> "$GITHUB_STEP_SUMMARY"
  fi
}

store "$BUCKET" "$REGION"
if [ -n "${COPY_BUCKET:-}" ] && [ "${COPY_MODE:-copy}" != replication ]; then
  store "$COPY_BUCKET" "${COPY_REGION:?COPY_REGION is needed with COPY_BUCKET}"
fi
