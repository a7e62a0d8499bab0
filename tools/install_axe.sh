#!/bin/sh
# axe-core, the accessibility rules tests/browser/test_accessibility.py injects into each page (test-only).
# Pinned with its integrity hash in tests/browser/axe/package-lock.json; `npm ci` installs exactly that from the
# npm registry into tests/browser/axe/node_modules (git-ignored). Quick when already installed.
set -e
DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/browser/axe"
WANT="$(sed -n 's/.*"axe-core": *"\([^"]*\)".*/\1/p' "$DIR/package.json")"
HAVE="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$DIR/node_modules/axe-core/package.json" 2>/dev/null | head -n 1)"
if [ -n "$WANT" ] && [ "$WANT" = "$HAVE" ] && [ -f "$DIR/node_modules/axe-core/axe.min.js" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    echo "Installing Debian's npm for the browser tests..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi
echo "Installing axe-core $WANT for the browser tests..."
npm ci --prefix "$DIR" --no-audit --no-fund --ignore-scripts --loglevel=error
