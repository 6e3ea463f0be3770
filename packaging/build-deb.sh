#!/usr/bin/env bash
# Build the kcrashd .deb into OUTDIR (default: dist/).
#
#   packaging/build-deb.sh [OUTDIR]
#
# dpkg-buildpackage wants debian/ at the top of the source tree; the repository keeps it in
# packaging/debian/. So the source files (tracked and new, not ignored) are copied into a
# temporary build directory, packaging/debian/ becomes its debian/, and the package is built
# there with `dpkg-buildpackage -us -uc -b`. The checkout is never written to.
set -euo pipefail
# The system tool chain and python3, never a venv or pyenv python found first on PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$here/dist}" && cd "${1:-$here/dist}" && pwd)
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$here/kcrashd/__init__.py")
work=$(mktemp -d /tmp/kcrashd-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src="$work/kcrashd-$version"
mkdir -p "$src"

cd "$here"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -co --exclude-standard -- kcrashd systemd etc doc examples LICENSE \
        pyproject.toml README.md packaging/completions.py \
        | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
        | xargs -0 cp --parents -t "$src"
else
    cp -r --parents kcrashd systemd etc doc examples LICENSE pyproject.toml README.md \
        packaging/completions.py "$src"
fi
find "$src" -name __pycache__ -prune -exec rm -rf {} +
cp -r packaging/debian "$src/debian"
rm -rf "$src/debian/.debhelper"

cd "$src"
dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1 || {
    tail -n 60 "$work/build.log" >&2
    echo "build-deb.sh: dpkg-buildpackage failed" >&2
    exit 1
}
cp "$work"/kcrashd_"$version"*_all.deb "$out/"
ls "$out"/kcrashd_"$version"*_all.deb
