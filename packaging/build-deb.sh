#!/usr/bin/env bash
# Build the kcrashd .deb into OUTDIR (default: dist/).
#
#   packaging/build-deb.sh [OUTDIR]
#
# dpkg-buildpackage wants debian/ at the top of the source tree; the repository keeps it in
# packaging/debian/. So the source files are copied into a temporary build directory
# (packaging/common.sh), packaging/debian/ becomes its debian/, and the package is built
# there with `dpkg-buildpackage -us -uc -b`. The checkout is never written to.
set -euo pipefail
. "$(dirname "$0")/common.sh"
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$here/kcrashd/__init__.py")
prepare_source deb "$version" "${1:-}"
cp -r "$here/packaging/debian" "$src/debian"
rm -rf "$src/debian/.debhelper"

cd "$src"
run_logged dpkg-buildpackage dpkg-buildpackage -us -uc -b
cp "$work"/kcrashd_"$version"*_all.deb "$out/"
ls "$out"/kcrashd_"$version"*_all.deb
