"""Shell completion as a user meets it: the files the .deb and the RPM install, loaded by
bash-completion in an interactive bash and by compinit in zsh, completing real command
lines. The expected candidates come from the argparse parser and the check registry."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from kcrashd.checks.registry import BY_ID
from kcrashd.cli import COMMANDS, build_parser
from tests.conftest import require_tool
from tests.integration.built import packages, unpack

pytestmark = pytest.mark.slow

PATHS = {
    "deb": ("usr/share/bash-completion/completions/kcrashd", "usr/share/zsh/vendor-completions"),
    "rpm": ("usr/share/bash-completion/completions/kcrashd", "usr/share/zsh/site-functions"),
}
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

# bash: load bash-completion as an interactive shell does, let its loader find kcrashd's
# file on XDG_DATA_DIRS (what happens on the first TAB), then call the function
# `complete -p kcrashd` names with the COMP_* variables bash sets for each line.
BASH_SCRIPT = r"""
. @BASH_COMPLETION@
_completion_loader kcrashd
echo "SPEC $(complete -p kcrashd)"
fn=$(complete -p kcrashd | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
complete_line() {
    COMP_LINE=$1; COMP_POINT=${#COMP_LINE}
    read -ra COMP_WORDS <<< "$COMP_LINE"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    "$fn" kcrashd "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "LINE $COMP_LINE"
    printf 'WORD %s\n' "${COMPREPLY[@]}"
}
"""

# zsh: an interactive zsh on a pty (zsh/zpty) with compinit and the package's directory
# first in fpath; the line is typed with a TAB and compadd reports what it was given.
ZSH_SCRIPT = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT=''; fpath=($1 \$fpath); autoload -U compinit; compinit -u -d $2"
zpty -w z "bindkey '^I' complete-word; zstyle ':completion:*' insert-tab false"
report='local -a m; builtin compadd -O m "$@"; (( $#m )) && print -rl -- "<<"${^m}">>"'
zpty -w z "compadd() { $report; builtin compadd \"\$@\" }"
zpty -w z 'comppostfuncs=( kc_done ); kc_done() { print -r -- "<<""END>>"; }'
zpty -w z 'print RE""ADY'
zpty -n -w z "$3"$'\t'
local out chunk
integer i
for (( i = 0; i < 200; i++ )); do
  if zpty -r -t z chunk; then
    out+=$chunk
    [[ $out == *'<<END>>'* ]] && break
  else
    sleep 0.05
  fi
done
print -r -- "${out#*READY}"
zpty -d z
"""


def _parser_options(command: str) -> List[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return sorted(o for a in sub._actions for o in a.option_strings if o.startswith("--"))


def _cases(tmp: Path) -> Dict[str, List[str]]:
    """Command line -> the candidates it should complete to."""
    (tmp / "root-dir").mkdir(exist_ok=True)
    (tmp / "root-file").write_text("x\n")
    names = [name for name, _, _ in COMMANDS]
    return {
        "kcrashd ": names,
        "kcrashd sta": [n for n in names if n.startswith("sta")],
        "kcrashd check --": _parser_options("check"),
        "kcrashd check --only kd": [i for i in BY_ID if i.startswith("kd")],
        "kcrashd check --only kdump_loaded pan": [i for i in BY_ID if i.startswith("pan")],
        "kcrashd check --explain panic_on_o": [i for i in BY_ID if i.startswith("panic_on_o")],
        "kcrashd snapshot ": ["take", "list", "show"],
        f"kcrashd check --root {tmp}/root-": [f"{tmp}/root-dir"],
        f"kcrashd parse {tmp}/root-": [f"{tmp}/root-dir", f"{tmp}/root-file"],
    }


@pytest.fixture(scope="module", params=["deb", "rpm"])
def installed(request, tmp_path_factory):
    """The package's files unpacked as they are installed: (kind, unpacked root)."""
    kind = request.param
    return kind, unpack(packages()[kind], tmp_path_factory.mktemp(f"{kind}-files"))


def test_packages_install_the_same_generated_completion(installed):
    kind, root = installed
    bash_file, zsh_dir = PATHS[kind]
    bash = (root / bash_file).read_text()
    zsh = (root / zsh_dir / "_kcrashd").read_text()
    assert "complete -o filenames -F _shtab_kcrashd kcrashd" in bash
    assert zsh.startswith("#compdef kcrashd")
    for check_id in BY_ID:  # every check id is a candidate in both
        assert check_id in bash and check_id in zsh


def test_bash(installed, tmp_path):
    kind, root = installed
    require_tool("bash")
    cases = _cases(tmp_path)
    script = BASH_SCRIPT.replace("@BASH_COMPLETION@", BASH_COMPLETION)
    script += "".join(f"complete_line {shlex.quote(line)}\n" for line in cases)
    (tmp_path / "complete.bash").write_text(script)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "dumb"}
    env["XDG_DATA_DIRS"] = str(root / "usr" / "share")
    r = subprocess.run(
        ["bash", "--norc", "--noprofile", "-i", str(tmp_path / "complete.bash")],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert "SPEC complete -o filenames -F _shtab_kcrashd kcrashd" in r.stdout, r.stdout + r.stderr
    got: Dict[str, List[str]] = {}
    for line in r.stdout.splitlines():
        if line.startswith("LINE "):
            current = got.setdefault(line[5:], [])
        elif line.startswith("WORD "):
            current.append(line[5:])
    for line, expected in cases.items():
        assert sorted(got.get(line, [])) == sorted(expected), line


def test_zsh(installed, tmp_path):
    kind, root = installed
    zsh = require_tool("zsh")
    fpath = root / PATHS[kind][1]
    (tmp_path / "complete.zsh").write_text(ZSH_SCRIPT)
    for line, expected in _cases(tmp_path).items():
        r = subprocess.run(
            [zsh, "-f", str(tmp_path / "complete.zsh"), str(fpath), str(tmp_path / "dump"), line],
            capture_output=True,
            text=True,
            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "dumb"},
            timeout=60,
        )
        offered = set(re.findall(r"<<([^<>\s]*)>>", r.stdout)) - {"END"}
        if "/" not in line:
            assert offered == set(expected), (line, r.stdout[-2000:])
            continue
        # A path: zsh completes it segment by segment (compadd also sees the leading
        # directories); the last segment's candidates are the names in the directory.
        names = {w.rstrip("/") for w in offered}
        wanted = {Path(e).name for e in expected}
        assert wanted <= names, (line, r.stdout[-2000:])
        assert {"root-dir", "root-file"} - wanted <= {"root-dir", "root-file"} - names, line
