#!/usr/bin/env bash
# Set up what the analysis sandbox needs on this machine (docs/bubble.md):
#   - bubblewrap, util-linux (setpriv, prlimit) and python3-venv from Debian;
#   - as root: the unprivileged system user jobs run as (bulle-job), and the fixed, read-only job
#     environment in /opt/bulle/job-env (the default of the sandbox.python setting);
#   - as another user: the job environment in ./.venv-job (point sandbox.python at it).
# Idempotent: a stamp records the lock file's hash, so a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=requirements-job.lock
if [ "$(id -u)" = 0 ]; then
  ENV_DIR=${BULLE_JOB_ENV:-/opt/bulle/job-env}
  missing=""
  command -v bwrap >/dev/null || missing="$missing bubblewrap"
  command -v setpriv >/dev/null || missing="$missing util-linux"
  /usr/bin/python3 -c 'import ensurepip' 2>/dev/null || missing="$missing python3-venv"
  if [ -n "$missing" ]; then
    echo "installing Debian packages:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
  fi
  id bulle-job >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin bulle-job
else
  ENV_DIR=${BULLE_JOB_ENV:-$PWD/.venv-job}
  for tool in bwrap setpriv prlimit; do
    command -v $tool >/dev/null || { echo "missing $tool: sudo apt-get install bubblewrap util-linux python3-venv" >&2; exit 2; }
  done
fi
STAMP="$ENV_DIR/.bulle-lock-sha256"
WANT=$(sha256sum "$LOCK" | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  exit 0
fi
echo "building the job environment in $ENV_DIR"
rm -rf "$ENV_DIR.tmp"
mkdir -p "$(dirname "$ENV_DIR")"
/usr/bin/python3 -m venv "$ENV_DIR.tmp"
"$ENV_DIR.tmp/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$LOCK"
# the venv is moved into place whole, then made read-only for everyone but its owner
rm -rf "$ENV_DIR" && mv "$ENV_DIR.tmp" "$ENV_DIR"
# venv scripts name their own folder: rebuild the interpreter links for the final path
/usr/bin/python3 -m venv --upgrade "$ENV_DIR" >/dev/null
chmod -R go-w "$ENV_DIR" && chmod -R a+rX "$ENV_DIR"
echo "$WANT" > "$STAMP"
