"""The crash lab's guest image: Debian packages, the kcrashd .deb, the lab module.

Two cached layers under CACHE (/var/cache/kcrashd-lab):

- rootfs-<key>/: debootstrap bookworm + the kernel, kdump-tools, systemd and the python3-*
  libraries kcrashd's .deb depends on (rootfs.sh). The key is the mirror's versions of those
  packages (read with apt through a private package list), so a new kernel in the mirror
  builds a new root. About 2-3 minutes cold.
- images/<key>/: that root plus the .deb built from this checkout (dpkg -i in a chroot), the
  lab module and the guest driver, packed with `mkfs.ext4 -d` (no loop device, no mount).
  The key hashes every input file, so an unchanged checkout reuses the image. About 30 s.

The module is built on the host against the guest kernel's headers (.debs extracted, never
installed) and its .ko, with debug info, stays in the cache for addr2line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

from tests.conftest import PROJECT

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("KCRASHD_LAB_CACHE", "/var/cache/kcrashd-lab"))
SCRATCH = Path(os.environ.get("KCRASHD_LAB_SCRATCH", "/var/tmp/kcrashd-lab"))
MIRROR = os.environ.get("KCRASHD_LAB_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get(
    "KCRASHD_LAB_SECURITY_MIRROR", "http://deb.debian.org/debian-security"
)
IMAGE_SIZE = "3G"
# Bump when rootfs.sh changes in a way its text does not show (it is hashed too).
ROOTFS_RECIPE = "1"
GUEST_PACKAGES = (
    "linux-image-amd64",
    "initramfs-tools",
    "kdump-tools",
    "kexec-tools",
    "makedumpfile",
    "busybox",
    "systemd",
    "systemd-sysv",
    "udev",
    "dbus",
    "procps",
    "kmod",
    # kcrashd's Depends and Recommends, from Debian as the .deb expects them
    "python3",
    "python3-systemd",
    "python3-pyudev",
    "python3-yaml",
    "smartmontools",
    # nm and addr2line for `kcrashd incidents show` inside the guest
    "binutils",
)
# What the .deb is built from (packaging/build-deb.sh copies these) and what the image adds.
DEB_INPUTS = ("kcrashd", "systemd", "etc", "doc", "packaging", "pyproject.toml", "README.md")
LAB_INPUTS = ("tests/lab/guest", "tests/lab/module", "tests/lab/image.py")
MODULE_NAME = "bad_driver"


@dataclass(frozen=True)
class Rootfs:
    path: Path
    kernel: str  # release, e.g. 6.1.0-57-amd64
    debs: Path  # linux-headers/kbuild .debs for the module
    versions: Dict[str, str]


@dataclass(frozen=True)
class LabImage:
    """A ready base image and what booting it needs."""

    image: Path  # raw ext4, never written: runs boot a copy
    vmlinuz: Path
    initrd: Path
    kernel: str
    module_ko: Path  # bad_driver.ko with debug info, as installed in the guest
    module_source: Path
    deb: Path
    key: str
    versions: Dict[str, str]
    timings: Dict[str, float]


def _run(argv: Sequence[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, **kw)
    if r.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, argv))} failed ({r.returncode}):\n{r.stdout[-3000:]}\n"
            f"{r.stderr[-3000:]}"
        )
    return r


class _Lock:
    """An exclusive flock on a file in the cache: one builder per machine at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> _Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.f = open(self.path, "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


# --- the mirror's package versions -------------------------------------------------------------
def _apt_options() -> List[str]:
    d = CACHE / "apt"
    return [
        f"-oDir::State::Lists={d / 'lists'}",
        f"-oDir::Etc::SourceList={d / 'sources.list'}",
        "-oDir::Etc::SourceParts=/dev/null",
        f"-oDir::Cache={d / 'cache'}",
    ]


def mirror_versions(packages: Sequence[str] = GUEST_PACKAGES) -> Dict[str, str]:
    """Candidate versions in the mirror, from apt with a private package list (refreshed
    with `apt-get update`, which only downloads what changed). The kernel image that
    linux-image-amd64 points at is added under its own name."""
    d = CACHE / "apt"
    (d / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (d / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (d / "sources.list").write_text(
        f"deb {MIRROR} bookworm main\ndeb {MIRROR} bookworm-updates main\n"
        f"deb {SECURITY_MIRROR} bookworm-security main\n"
    )
    _run(["apt-get", "-q", *_apt_options(), "update"], timeout=600)
    versions = _show(list(packages))
    kernel = _kernel_package(list(packages))
    versions.update(_show([kernel]))
    return versions


def _show(packages: List[str]) -> Dict[str, str]:
    r = _run(["apt-cache", *_apt_options(), "show", "--no-all-versions", *packages], timeout=120)
    out: Dict[str, str] = {}
    name = None
    for line in r.stdout.splitlines():
        if line.startswith("Package: "):
            name = line.split(": ", 1)[1]
        elif line.startswith("Version: ") and name:
            out[name] = line.split(": ", 1)[1]
    missing = set(packages) - set(out)
    if missing:
        raise RuntimeError(f"not in the mirror: {', '.join(sorted(missing))}")
    return out


def _kernel_package(packages: List[str]) -> str:
    r = _run(["apt-cache", *_apt_options(), "show", "--no-all-versions", "linux-image-amd64"], 120)
    for line in r.stdout.splitlines():
        if line.startswith("Depends: "):
            for dep in line.split(": ", 1)[1].split(","):
                name = dep.strip().split(" ")[0]
                if name.startswith("linux-image-") and name.endswith("-amd64"):
                    return name
    raise RuntimeError("linux-image-amd64 depends on no kernel image")


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _files_digest(paths: Sequence[str]) -> str:
    """Content hash of the tracked and new (not ignored) files under `paths`."""
    r = _run(["git", "-C", str(PROJECT), "ls-files", "-co", "--exclude-standard", "--", *paths], 60)
    h = hashlib.sha256()
    for name in sorted(r.stdout.splitlines()):
        f = PROJECT / name
        if f.is_file() and "__pycache__" not in name:
            h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


# --- layer 1: the Debian root ------------------------------------------------------------------
def build_rootfs(log: Optional[callable] = None) -> Rootfs:
    """The cached root for the mirror's current package versions (built when missing)."""
    versions = mirror_versions()
    key = _digest(
        ROOTFS_RECIPE, MIRROR, SECURITY_MIRROR, versions, (HERE / "rootfs.sh").read_text()
    )
    path = CACHE / f"rootfs-{key}"
    with _Lock(CACHE / ".build.lock"):
        if not (path / ".complete").exists():
            if log:
                log(f"lab: building the guest root {path.name} (debootstrap, a few minutes)")
            tmp = CACHE / f".rootfs-{key}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            env = dict(
                os.environ,
                MIRROR=MIRROR,
                SECURITY_MIRROR=SECURITY_MIRROR,
                GUEST_PACKAGES=" ".join(GUEST_PACKAGES),
                PATH="/usr/sbin:/usr/bin:/sbin:/bin",
            )
            # A private mount namespace: the chroot's /proc, /sys, /dev binds die with it.
            argv = ["unshare", "--mount", "--propagation", "private", "bash"]
            argv += [str(HERE / "rootfs.sh"), str(tmp), str(tmp) + ".debs", str(CACHE / "debs")]
            _run(argv, timeout=1800, env=env)
            shutil.rmtree(path, ignore_errors=True)
            shutil.rmtree(str(path) + ".debs", ignore_errors=True)
            os.rename(str(tmp) + ".debs", str(path) + ".debs")
            (tmp / ".complete").write_text(json.dumps(versions, indent=1, sort_keys=True))
            tmp.rename(path)
            _prune(CACHE, "rootfs-", keep=path, also=(".debs",))
    kernel = (path / ".kcrashd-lab-kernel").read_text().strip()
    return Rootfs(path, kernel, Path(str(path) + ".debs"), versions)


def _prune(directory: Path, prefix: str, keep: Path, also: Sequence[str] = ()) -> None:
    """Remove older cache entries with `prefix` except `keep` and the newest other one."""
    old = sorted(
        (
            p
            for p in directory.glob(prefix + "*")
            if p.is_dir() and p != keep and not p.name.endswith(tuple(also))
        ),
        key=lambda p: p.stat().st_mtime,
    )
    for p in old[:-1]:
        shutil.rmtree(p, ignore_errors=True)
        for suffix in also:
            shutil.rmtree(str(p) + suffix, ignore_errors=True)


# --- the module --------------------------------------------------------------------------------
def kernel_headers(rootfs: Rootfs) -> Path:
    """The guest kernel's headers, extracted from their .debs (never installed on the host)."""
    top = CACHE / f"kheaders-{rootfs.kernel}"
    tree = top / "usr" / "src" / f"linux-headers-{rootfs.kernel}"
    with _Lock(CACHE / ".build.lock"):
        if not (top / ".complete").exists():
            shutil.rmtree(top, ignore_errors=True)
            top.mkdir(parents=True)
            debs = sorted(rootfs.debs.glob("linux-headers-*.deb"))
            debs += sorted(rootfs.debs.glob("linux-kbuild-*.deb"))
            if len(debs) < 3:
                raise RuntimeError(f"headers .debs missing in {rootfs.debs}: {debs}")
            for deb in debs:
                _run(["dpkg-deb", "-x", str(deb), str(top)], timeout=300)
            # The -amd64 Makefile includes the -common tree by its absolute /usr/src path.
            makefile = tree / "Makefile"
            text = makefile.read_text().replace("include /usr/src/", f"include {top}/usr/src/")
            makefile.write_text(text)
            (top / ".complete").write_text("")
    return tree


def build_module(rootfs: Rootfs) -> Path:
    """bad_driver.ko for the guest kernel, with debug info (kept in the cache)."""
    headers = kernel_headers(rootfs)
    src = HERE / "module"
    key = _digest(rootfs.kernel, {p.name: p.read_text() for p in sorted(src.iterdir())})
    out = CACHE / f"module-{key}"
    ko = out / f"{MODULE_NAME}.ko"
    with _Lock(CACHE / ".build.lock"):
        if not (out / ".complete").exists():
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(src, out)
            # The host's gcc-12 is the compiler bookworm's kernel was built with.
            _run(["make", "-s", "-C", str(headers), f"M={out}", "modules"], timeout=600)
            info = _run(["modinfo", "-F", "vermagic", str(ko)], timeout=30).stdout
            if not info.startswith(rootfs.kernel + " "):
                raise RuntimeError(f"{ko}: vermagic {info!r} is not {rootfs.kernel}")
            (out / ".complete").write_text(info)
            _prune(CACHE, "module-", keep=out)
    return ko


def build_deb() -> Path:
    """The .deb from this checkout (packaging/build-deb.sh), cached by its inputs."""
    key = _files_digest(DEB_INPUTS)
    out = CACHE / f"deb-{key}"
    with _Lock(CACHE / ".build.lock"):
        debs = sorted(out.glob("kcrashd_*_all.deb"))
        if not debs:
            shutil.rmtree(out, ignore_errors=True)
            _run(["bash", str(PROJECT / "packaging" / "build-deb.sh"), str(out)], timeout=600)
            debs = sorted(out.glob("kcrashd_*_all.deb"))
            _prune(CACHE, "deb-", keep=out)
    if len(debs) != 1:
        raise RuntimeError(f"expected one .deb in {out}: {debs}")
    return debs[0]


# --- layer 2: the image ------------------------------------------------------------------------
# Guest files: (source under tests/lab/guest, path in the guest, mode).
GUEST_FILES = (
    ("kcrashd-lab-guest.sh", "/usr/local/sbin/kcrashd-lab-guest", 0o755),
    ("kcrashd-lab.service", "/etc/systemd/system/kcrashd-lab.service", 0o644),
    ("memhog.py", "/usr/local/lib/kcrashd-lab/memhog.py", 0o755),
    ("fdhog.py", "/usr/local/lib/kcrashd-lab/fdhog.py", 0o755),
    # plan "hardware" (issue 18): sourced by the guest driver, its memory hog, its settings
    ("kcrashd-lab-hardware.sh", "/usr/local/lib/kcrashd-lab/hardware.sh", 0o644),
    ("psihog.py", "/usr/local/lib/kcrashd-lab/psihog.py", 0o755),
    ("kcrashd-lab-hardware.yaml", "/etc/kcrashd/conf.d/60-lab-hardware.yaml", 0o644),
    ("kcrashd-lab.yaml", "/etc/kcrashd/conf.d/50-lab.yaml", 0o644),
    (
        "kcrashd-lab-late-ramoops.service",
        "/etc/systemd/system/kcrashd-lab-late-ramoops.service",
        0o644,
    ),
    (
        "systemd-pstore-ramoops.conf",
        "/etc/systemd/system/systemd-pstore.service.d/kcrashd-lab-ramoops.conf",
        0o644,
    ),
)


def assemble(rootfs: Rootfs, deb: Path, ko: Path, log: Optional[callable] = None) -> LabImage:
    """The base image for this checkout (cached by every input)."""
    key = _digest(rootfs.path.name, _files_digest(DEB_INPUTS + LAB_INPUTS), ko.read_bytes().hex())
    out = CACHE / "images" / key
    image = out / "base.img"
    with _Lock(CACHE / ".build.lock"):
        if not (out / ".complete").exists():
            if log:
                log(f"lab: assembling image {key} (kcrashd .deb, module, guest driver)")
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            SCRATCH.mkdir(parents=True, exist_ok=True)
            stage = SCRATCH / f"stage-{key}"
            shutil.rmtree(stage, ignore_errors=True)
            try:
                _run(["cp", "-a", str(rootfs.path), str(stage)], timeout=600)
                _install(stage, rootfs.kernel, deb, ko)
                shutil.copy(stage / "boot" / f"vmlinuz-{rootfs.kernel}", out / "vmlinuz")
                shutil.copy(stage / "boot" / f"initrd.img-{rootfs.kernel}", out / "initrd.img")
                argv = ["mkfs.ext4", "-q", "-F", "-L", "kcrashd-lab", "-d", str(stage)]
                _run([*argv, str(image), IMAGE_SIZE], timeout=600)
            finally:
                shutil.rmtree(stage, ignore_errors=True)
            shutil.copy(ko, out / ko.name)
            (out / ".complete").write_text(json.dumps({"kernel": rootfs.kernel}))
            _prune(CACHE / "images", "", keep=out)
    return LabImage(
        image=image,
        vmlinuz=out / "vmlinuz",
        initrd=out / "initrd.img",
        kernel=rootfs.kernel,
        module_ko=out / ko.name,
        module_source=HERE / "module" / f"{MODULE_NAME}.c",
        deb=deb,
        key=key,
        versions=rootfs.versions,
        timings={},
    )


def _install(stage: Path, kernel: str, deb: Path, ko: Path) -> None:
    # The package, installed the Debian way: its postinst enables kcrashd.service
    # (policy-rc.d keeps anything from starting inside the chroot).
    (stage / "root" / "kcrashd.deb").write_bytes(deb.read_bytes())
    policy = stage / "usr" / "sbin" / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive"}
    _run(["chroot", str(stage), "dpkg", "-i", "/root/kcrashd.deb"], timeout=300, env=env)
    policy.unlink()
    (stage / "root" / "kcrashd.deb").unlink()
    wants = stage / "etc/systemd/system/multi-user.target.wants"
    if not (wants / "kcrashd.service").is_symlink():
        raise RuntimeError("dpkg -i kcrashd.deb did not enable kcrashd.service")

    modules = stage / "lib" / "modules" / kernel
    (modules / "updates").mkdir(exist_ok=True)
    shutil.copy(ko, modules / "updates" / ko.name)
    _run(["depmod", "-b", str(stage), kernel], timeout=120)

    for name, guest_path, mode in GUEST_FILES:
        target = stage / guest_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(HERE / "guest" / name, target)
        target.chmod(mode)
    (wants / "kcrashd-lab.service").symlink_to("/etc/systemd/system/kcrashd-lab.service")
    # The lab module's source, so the guest's own `kcrashd incidents show` can name the line.
    src = stage / "usr" / "src" / "kcrashd-lab"
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "module" / f"{MODULE_NAME}.c", src)


def lab_image(log: Optional[callable] = None) -> LabImage:
    """Build (or take from the cache) everything a lab run needs, with timings."""
    timings: Dict[str, float] = {}
    t = time.monotonic()
    rootfs = build_rootfs(log)
    timings["rootfs"] = time.monotonic() - t
    t = time.monotonic()
    ko = build_module(rootfs)
    timings["module"] = time.monotonic() - t
    t = time.monotonic()
    deb = build_deb()
    timings["deb"] = time.monotonic() - t
    t = time.monotonic()
    img = assemble(rootfs, deb, ko, log)
    timings["image"] = time.monotonic() - t
    img.timings.update(timings)
    return img


def iter_guest_files() -> Iterator[Path]:
    """Every file the guest gets from tests/lab/guest (for tests of the layout)."""
    for name, _, _ in GUEST_FILES:
        yield HERE / "guest" / name
