"""kcrashd: crash-readiness daemon for Linux."""

__version__ = "0.1.0"
