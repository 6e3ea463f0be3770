#!/bin/bash
# Build the crash lab's Debian 12 guest root from Debian packages (the slow, cached layer).
#
#   rootfs.sh ROOT DEBS_DIR APT_CACHE_DIR
#
# Runs as root on the host, inside its own mount namespace (unshare -m, started by
# tests/lab/image.py) so the /proc, /sys and /dev binds of the chroot vanish with it. ROOT must
# not exist. Nothing here depends on kcrashd: the package, the lab module and the guest
# driver are added per checkout by image.py (the fast layer).
#
# Env: MIRROR, SECURITY_MIRROR, GUEST_PACKAGES (space separated).
set -euo pipefail
ROOT=$1
DEBS=$2
APT_CACHE=$3
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
mkdir -p "$DEBS" "$APT_CACHE"
[ ! -e "$ROOT" ] || { echo "rootfs.sh: $ROOT exists" >&2; exit 1; }

t0=$(date +%s)
debootstrap --variant=minbase --cache-dir="$APT_CACHE" \
    --include=systemd-sysv,udev,kmod,procps bookworm "$ROOT" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 \
    || { tail -30 "$ROOT.debootstrap.log" >&2; exit 1; }
rm -f "$ROOT.debootstrap.log"
echo "TIMING debootstrap $(($(date +%s) - t0))s"

cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
mount --make-rprivate /
mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"

in_root() { chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
echo 'kdump-tools kdump-tools/use_kdump boolean true' | chroot "$ROOT" debconf-set-selections
in_root apt-get -q update >/dev/null
# shellcheck disable=SC2086  # a word list on purpose
in_root apt-get -q install -y --no-install-recommends $GUEST_PACKAGES >"$ROOT.apt.log" 2>&1 \
    || { tail -40 "$ROOT.apt.log" >&2; exit 1; }
rm -f "$ROOT.apt.log"
echo "TIMING chroot-apt $(($(date +%s) - t0))s"

KVER=$(ls "$ROOT/lib/modules" | sort -V | tail -1)
# The headers to build the lab module against, downloaded only (extracted on the host later).
major_minor=$(echo "$KVER" | cut -d. -f1,2)
in_root sh -c "cd /tmp && apt-get -q download linux-headers-$KVER \
    linux-headers-${KVER%-amd64}-common linux-kbuild-$major_minor" >/dev/null
mv "$ROOT"/tmp/*.deb "$DEBS/"

# --- guest configuration that does not depend on kcrashd --------------------------------------
echo kcrashd-lab >"$ROOT/etc/hostname"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$ROOT/etc/fstab"
chroot "$ROOT" passwd -d root >/dev/null # root login on the serial console, to debug by hand
mkdir -p "$ROOT/var/log/journal" "$ROOT/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=persistent\n' >"$ROOT/etc/systemd/journald.conf.d/kcrashd-lab.conf"
# ramoops takes its memory from the kernel command line (memmap=, ramoops.mem_address=).
echo ramoops >"$ROOT/etc/modules-load.d/kcrashd-lab-ramoops.conf"

# kdump-tools: an explicit capture command line. By default kdump-config copies /proc/cmdline
# through `eval`, which mangles the `$` of memmap=1M$0x3f000000 (and ramoops has no business
# in the capture kernel).
sed -i -e 's/^#\?USE_KDUMP=.*/USE_KDUMP=1/' -e '/^KDUMP_CMDLINE=/d' "$ROOT/etc/default/kdump-tools"
echo 'KDUMP_CMDLINE="root=/dev/vda rw console=ttyS0 panic=10"' >>"$ROOT/etc/default/kdump-tools"

# The boot initrd with only the modules this machine needs (MODULES=list, as MODULES=dep would
# pick on real hardware; in a chroot dep would look at the host's disk): a 36 MB
# MODULES=most initrd costs seconds to load and unpack under TCG on every boot.
echo MODULES=list >"$ROOT/etc/initramfs-tools/conf.d/kcrashd-lab"
printf 'virtio_pci\nvirtio_blk\next4\n' >>"$ROOT/etc/initramfs-tools/modules"
in_root update-initramfs -u -k "$KVER" >/dev/null

# The kdump initrd, made the way /etc/kernel/postinst.d/kdump-tools does but with MODULES=list:
# its MODULES=dep would look at the host's root device from inside the chroot.
KD=$ROOT/var/lib/kdump
rm -rf "$KD/initramfs-tools"
cp -pr "$ROOT/etc/initramfs-tools" "$KD/"
mkdir -p "$KD/initramfs-tools/conf.d"
echo MODULES=list >"$KD/initramfs-tools/conf.d/zzz-kdump"
echo KDUMP=y >>"$KD/initramfs-tools/initramfs.conf"
rm -f "$KD"/initrd.img-*
in_root mkinitramfs -d /var/lib/kdump/initramfs-tools -o "/var/lib/kdump/initrd.img-$KVER" "$KVER"
ln -sf "/boot/vmlinuz-$KVER" "$KD/vmlinuz"
ln -sf "/var/lib/kdump/initrd.img-$KVER" "$KD/initrd.img"
# `kdump-config load` rebuilds that initrd (80 s under TCG) unless latest_sysctls-$KVER
# equals /etc/kdump/sysctl.conf.
cp "$ROOT/etc/kdump/sysctl.conf" "$KD/latest_sysctls-$KVER"

in_root apt-get clean
rm -f "$ROOT/usr/sbin/policy-rc.d"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/journal/* "$ROOT"/tmp/*
umount "$ROOT/dev" "$ROOT/sys" "$ROOT/proc"
echo "$KVER" >"$ROOT/.kcrashd-lab-kernel"
echo "TIMING rootfs $(($(date +%s) - t0))s"
