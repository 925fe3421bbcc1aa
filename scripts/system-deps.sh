#!/usr/bin/env bash
# Install the Debian packages a command needs when they are missing (only as root; else explain).
# Usage: scripts/system-deps.sh [redis] [postgresql] [chromium] [weasyprint] [promtool] [nginx] [valgrind]
set -euo pipefail
missing=()
# Debian packages that are not installed (dpkg's view), so a shared library is found by name.
need_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
}
for want in "$@"; do
  case "$want" in
    redis) command -v redis-server >/dev/null 2>&1 || missing+=(redis-server) ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    # WeasyPrint (PDF certificates) loads Pango and HarfBuzz with cffi; DejaVu is the template's font.
    weasyprint) need_packages libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core ;;
    # promtool checks deploy/prometheus/alerts.yml; Debian ships it in the prometheus package.
    promtool) command -v promtool >/dev/null 2>&1 || missing+=(prometheus) ;;
    # nginx runs deploy/nginx.conf in the compose test (the one-origin proxy in front of the services).
    nginx) command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light) ;;
    # valgrind counts instructions for `make bench` (bench/instructions.py).
    valgrind) command -v callgrind_control >/dev/null 2>&1 || missing+=(valgrind) ;;
    *) echo "system-deps: unknown dependency '$want'" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
