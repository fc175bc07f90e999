#!/usr/bin/env bash
# Installs the Debian packages stek needs that are missing: with no argument,
# what building and running need; with --test, also what the test suite needs.
# As root it runs apt-get (one `apt-get update` first); otherwise it prints
# the one command to run.
set -euo pipefail

pkgs=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libpq-dev libssl-dev zlib1g-dev libqrencode-dev libcurl4-openssl-dev libical-dev libstemmer-dev
      postgresql postgresql-client python3 python3-yaml curl jq ca-certificates tzdata)
if [[ "${1:-}" == "--test" ]]; then
    pkgs+=(python3-pytest python3-requests python3-jsonschema python3-dateutil python3-icalendar python3-recurring-ical-events python3-prometheus-client clang-format clang libclang-rt-14-dev wrk chromium zbar-tools pgbouncer nginx-light)
    command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
[[ "${2:-}" == "--memcheck" ]] && pkgs+=(valgrind)
# make deb (and the test suite, which builds the package): the Debian packaging tools.
if [[ "${1:-}" == "--deb" || "${1:-}" == "--test" ]]; then
    pkgs+=(dpkg-dev debhelper lintian fakeroot systemd)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "stek needs these Debian packages; install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
