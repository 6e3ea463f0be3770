#!/usr/bin/env bash
# Build the kcrashd noarch RPM into OUTDIR (default: dist/).
#
#   packaging/build-rpm.sh [OUTDIR]
#
# Makes the Source0 tarball from the source files (tracked and new, not ignored) and runs
# `rpmbuild -bb packaging/rpm/kcrashd.spec` in a temporary _topdir. Works with Fedora's
# rpmbuild and with Debian's rpm package.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$here/dist}" && cd "${1:-$here/dist}" && pwd)
spec="$here/packaging/rpm/kcrashd.spec"
version=$(sed -n 's/^Version: *//p' "$spec")
work=$(mktemp -d /tmp/kcrashd-rpm.XXXXXX)
trap 'rm -rf "$work"' EXIT
src="$work/kcrashd-$version"
mkdir -p "$src" "$work/rpmbuild/SOURCES"

cd "$here"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # tests/: the spec's %check runs the unit tests; their fixture roots hold symlinks.
    git ls-files -z -co --exclude-standard -- kcrashd systemd etc doc examples LICENSE \
        pyproject.toml README.md packaging/completions.py tests \
        | while IFS= read -r -d '' f; do [ -f "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done \
        | xargs -0 cp -P --parents -t "$src"
else
    cp -r --parents kcrashd systemd etc doc examples LICENSE pyproject.toml README.md \
        packaging/completions.py tests "$src"
fi
find "$src" -name __pycache__ -prune -exec rm -rf {} +
tar -C "$work" --owner=0 --group=0 -czf "$work/rpmbuild/SOURCES/kcrashd-$version.tar.gz" \
    "kcrashd-$version"

# Where the rpm database does not know rpm itself (Debian's rpm package), it knows none of
# the BuildRequires either: they are Debian packages here (scripts/dev.sh installs them).
nodeps=()
rpm -q --quiet rpm 2>/dev/null || nodeps=(--nodeps)
rpmbuild -bb "${nodeps[@]}" --define "_topdir $work/rpmbuild" "$spec" >"$work/build.log" 2>&1 || {
    tail -n 60 "$work/build.log" >&2
    echo "build-rpm.sh: rpmbuild failed" >&2
    exit 1
}
cp "$work"/rpmbuild/RPMS/noarch/kcrashd-"$version"-*.noarch.rpm "$out/"
ls "$out"/kcrashd-"$version"-*.noarch.rpm
