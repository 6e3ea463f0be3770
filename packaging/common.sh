# Sourced by build-deb.sh and build-rpm.sh: the system tool chain, the output and work
# directories, and a copy of the source files to build from.
#
# Sets $here (the checkout). `prepare_source NAME VERSION [OUTDIR [PATH...]]` then sets $out
# (the output directory, default dist/), $work (a temporary directory, removed at exit) and
# $src ($work/kcrashd-VERSION, holding the source files, tracked and new, not ignored, of
# SOURCE_PATHS and the PATHs given; symlinks stay symlinks). The checkout is never written to. `run_logged WHAT COMMAND...` runs a build step quietly and,
# when it fails, shows the end of its log and stops.

# The system tool chain and python3, never a venv or pyenv python found first on PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOURCE_PATHS=(kcrashd systemd etc doc examples LICENSE pyproject.toml README.md
              packaging/completions.py)

prepare_source() {
    out=$(mkdir -p "${3:-$here/dist}" && cd "${3:-$here/dist}" && pwd)
    work=$(mktemp -d "/tmp/kcrashd-$1.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    src="$work/kcrashd-$2"
    mkdir -p "$src"
    local paths=("${SOURCE_PATHS[@]}" "${@:4}")
    (
        cd "$here"
        if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
            git ls-files -z -co --exclude-standard -- "${paths[@]}" \
                | while IFS= read -r -d '' f; do
                    if [ -f "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
                done \
                | xargs -0 cp -P --parents -t "$src"
        else
            cp -r --parents "${paths[@]}" "$src"
        fi
    )
    find "$src" -name __pycache__ -prune -exec rm -rf {} +
}

run_logged() {
    local what=$1
    shift
    "$@" >"$work/build.log" 2>&1 || {
        tail -n 60 "$work/build.log" >&2
        echo "$(basename "$0"): $what failed" >&2
        exit 1
    }
}
