#!/bin/sh
# Runs the DVC pipeline inside the cluster (Job and CronJob). The image's project is copied
# to a writable emptyDir first, because DVC writes dvc.lock, data/, models/ and reports/
# next to dvc.yaml while the container's root filesystem stays read-only.
set -eu
cp -R /app/. /workspace/
cd /workspace
if [ -n "${DVC_REMOTE_URL:-}" ]; then
  dvc remote add --local --force --default cluster "$DVC_REMOTE_URL"
  # Re-hash every pulled object: a tampered bucket object is refused, not used.
  dvc remote modify --local cluster verify true
  # Reuse what earlier runs pushed, so unchanged stages are not run again.
  dvc pull --allow-missing || echo "Nothing to pull yet from $DVC_REMOTE_URL"
fi
dvc repro
if [ -n "${DVC_REMOTE_URL:-}" ]; then
  dvc push
fi
dvc metrics show
