"""The metrics sink: Prometheus text exposition format (0.0.4), as a file and over HTTP.

`render()` turns metric families into text; `write_textfile()` writes it atomically (temp
file, fsync, rename: kcrashd.host.local.replace_file) for node_exporter's textfile
collector, which must never read a half written file; `MetricsServer` serves the latest
text on GET /metrics from a thread (plain http.server: the exposition is already rendered,
so prometheus-client is not needed).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

TEXTFILE_NAME = "kcrashd.prom"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Family:
    """One metric family: name, type (gauge or counter), help and its samples."""

    name: str
    type: str
    help: str
    samples: List[Tuple[Dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((labels, float(value)))


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def render(families: List[Family]) -> str:
    """The text format; families are sorted by name, samples keep their order."""
    out: List[str] = []
    for fam in sorted(families, key=lambda f: f.name):
        out.append(f"# HELP {fam.name} {_escape_help(fam.help)}")
        out.append(f"# TYPE {fam.name} {fam.type}")
        for labels, value in fam.samples:
            if labels:
                body = ",".join(f'{k}="{_escape_label(str(v))}"' for k, v in sorted(labels.items()))
                out.append(f"{fam.name}{{{body}}} {_value(value)}")
            else:
                out.append(f"{fam.name} {_value(value)}")
    return "\n".join(out) + "\n"


def write_textfile(directory: str, text: str, name: str = TEXTFILE_NAME) -> str:
    """Replace `directory/name` atomically; returns the path. Raises OSError."""
    from kcrashd.host.local import replace_file

    # 0644: node_exporter runs as its own user; the service's UMask=0077 would hide it.
    return replace_file(directory, name, text, 0o644)


def parse_address(address: str) -> Tuple[str, int]:
    """`127.0.0.1:9866`, `[::1]:9866` or `localhost:9866` -> (host, port). Raises ValueError."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"listen address must be HOST:PORT, not {address!r}")
    return host.strip("[]"), int(port)


class MetricsServer:
    """GET /metrics on a daemon thread, serving the text last given to `update()`."""

    def __init__(self, address: str) -> None:
        import http.server
        import socket
        import socketserver

        host, port = parse_address(address)
        self.address = address
        self._text = b""
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path.split("?", 1)[0] not in ("/metrics", "/"):
                    self.send_error(404)
                    return
                body = server.text()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt: str, *args: object) -> None:
                pass  # a scrape every 15 s is not worth a log line

        family = socket.AF_INET6 if ":" in host else socket.AF_INET

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            address_family = family
            daemon_threads = True
            allow_reuse_address = True

        self._httpd = Server((host, port), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="kcrashd-metrics", daemon=True
        )
        self._thread.start()

    def update(self, text: str) -> None:
        with self._lock:
            self._text = text.encode("utf-8")

    def text(self) -> bytes:
        with self._lock:
            return self._text

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


def family_map(families: List[Family]) -> Dict[str, Family]:
    return {f.name: f for f in families}


def sample_value(families: List[Family], name: str, **labels: str) -> Optional[float]:
    """The value of one sample (tests, `kcrashd status`); None when absent."""
    fam = family_map(families).get(name)
    if fam is None:
        return None
    for sample_labels, value in fam.samples:
        if sample_labels == labels:
            return value
    return None
