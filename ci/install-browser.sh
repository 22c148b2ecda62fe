#!/usr/bin/env bash
# Install headless Chromium for the HTML report's browser tests
# (tests/test_html_browser.py): Debian's chromium package, driven by the
# Playwright Python package of the test extra. Playwright's own browser
# download is never used.
#
# Idempotent: does nothing when /usr/bin/chromium is already there.
# Elsewhere (no apt-get), install Chromium yourself and point
# MODTRACE_CHROMIUM at its executable.
set -eu

if [ -x /usr/bin/chromium ]; then
  echo "install-browser: /usr/bin/chromium is there"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get here: install Chromium and set MODTRACE_CHROMIUM to its path" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q chromium fonts-dejavu-core
/usr/bin/chromium --version || true
