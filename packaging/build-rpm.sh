#!/usr/bin/env bash
# Build the kcrashd noarch RPM into OUTDIR (default: dist/).
#
#   packaging/build-rpm.sh [OUTDIR]
#
# Makes the Source0 tarball from a copy of the source files (packaging/common.sh) and runs
# `rpmbuild -bb packaging/rpm/kcrashd.spec` in a temporary _topdir. Works with Fedora's
# rpmbuild and with Debian's rpm package.
set -euo pipefail
. "$(dirname "$0")/common.sh"
spec="$here/packaging/rpm/kcrashd.spec"
version=$(sed -n 's/^Version: *//p' "$spec")
prepare_source rpm "$version" "${1:-}"
mkdir -p "$work/rpmbuild/SOURCES"
tar -C "$work" --owner=0 --group=0 -czf "$work/rpmbuild/SOURCES/kcrashd-$version.tar.gz" \
    "kcrashd-$version"

run_logged rpmbuild rpmbuild -bb --define "_topdir $work/rpmbuild" "$spec"
cp "$work"/rpmbuild/RPMS/noarch/kcrashd-"$version"-*.noarch.rpm "$out/"
ls "$out"/kcrashd-"$version"-*.noarch.rpm
