#!/usr/bin/python3
"""Open files up to this process's RLIMIT_NOFILE and hold them (runs inside the lab guest).

Its name (comm) is "lab-fdhog", so kcrashd's fd watcher alert names it.
"""

import argparse
import ctypes
import errno
import os
import resource
import sys
import time

PR_SET_NAME = 15


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--hold-seconds", type=float, default=8.0)
    args = p.parse_args()
    ctypes.CDLL(None).prctl(PR_SET_NAME, b"lab-fdhog", 0, 0, 0)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    fds = []
    try:
        while True:
            fds.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as exc:
        if exc.errno != errno.EMFILE:
            raise
    # No listdir of /proc/self/fd here: it needs one more descriptor.
    print(f"lab-fdhog: opened {len(fds)} files, limit {soft}", flush=True)
    time.sleep(args.hold_seconds)
    for fd in fds:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
