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
# tests/: the spec's %check runs the unit tests; their fixture roots hold symlinks.
prepare_source rpm "$version" "${1:-}" tests
mkdir -p "$work/rpmbuild/SOURCES"
tar -C "$work" --owner=0 --group=0 -czf "$work/rpmbuild/SOURCES/kcrashd-$version.tar.gz" \
    "kcrashd-$version"

# Where the rpm database does not know rpm itself (Debian's rpm package), it knows none of
# the BuildRequires either: they are Debian packages here (scripts/dev.sh installs them).
nodeps=()
rpm -q --quiet rpm 2>/dev/null || nodeps=(--nodeps)
run_logged rpmbuild rpmbuild -bb "${nodeps[@]}" --define "_topdir $work/rpmbuild" "$spec"
cp "$work"/rpmbuild/RPMS/noarch/kcrashd-"$version"-*.noarch.rpm "$out/"
ls "$out"/kcrashd-"$version"-*.noarch.rpm
