#!/usr/bin/env bash
# `make deb`: builds stek_<version>_<arch>.deb with dpkg-buildpackage and debhelper in a
# copy of the tree (the source tree stays clean), then runs lintian. The package lands in
# build/ (and with its .changes, .buildinfo, build log and lintian report in build/deb-out/).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/deb-out
work=$(mktemp -d /tmp/stek-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$root/service/tools/deps.sh" --deb
mkdir -p "$work/stek"
(cd "$root" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$work/stek"
(cd "$work/stek" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
    { tail -n 60 "$work/build.log"; exit 1; }
rm -rf "$out" && mkdir -p "$out"
cp "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
cp "$work/build.log" "$out/build.log"
deb=$(ls "$out"/stek_*_*.deb | grep -v dbgsym)
cp "$deb" "$root/build/"
echo "built build/$(basename "$deb")"
# Errors fail the build; warnings and information are printed.
lintian --fail-on error --info "$deb" | tee "$out/lintian.txt"
echo "lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors, $(grep -c '^W:' "$out/lintian.txt" || true) warnings"
