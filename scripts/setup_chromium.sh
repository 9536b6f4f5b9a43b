#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser): Playwright drives /usr/bin/chromium and
# never downloads a browser. Installed here when missing and run as root; otherwise a hint is
# printed and the browser tests skip (in CI, where CI=1, they fail instead).
# Idempotent: nothing is done when the browser is already there.
set -euo pipefail
BROWSER=${BULLE_CHROMIUM:-/usr/bin/chromium}
if [ -x "$BROWSER" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium (for the browser tests)"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
else
  echo "the browser tests need Debian's chromium at $BROWSER: sudo apt-get install chromium" >&2
fi
