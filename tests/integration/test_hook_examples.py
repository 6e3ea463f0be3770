"""The example hooks as an admin uses them.

In a booted Debian 12 root (tests/integration/booted.py) with the .deb and postfix: the
three examples are copied from the package's doc directory into /etc/kcrashd/hooks.d/ as
doc/hooks.md says, their settings edited, the service drop-ins doc/hooks.md gives are
installed (the mail hook set to mail notices too), and the service is restarted: its start-up
alert (a notice) must arrive as a mail in root's
mailbox (through the real postfix), as a POST at a web receiver and as a line in the log
file, all from inside the service's sandbox. On the host, through the daemon's own hook
runner: what the examples do when their receiver hangs, their directory is missing, or an
alert is below the mail threshold.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Dict

import pytest

from kcrashd.model import Alert, Severity
from kcrashd.sinks.hooks import alert_document, run_hooks
from tests.conftest import PROJECT
from tests.integration.booted import boot_and_run, operator_root, remove_root
from tests.integration.built import packages
from tests.json_schemas import validate

EXAMPLES = PROJECT / "examples" / "hooks.d"
HOOKS_DOC = PROJECT / "doc" / "hooks.md"

RECEIVER = r"""
import http.server
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open("/root/kctest/out/webhook", "ab") as f:
            f.write(self.headers["Content-Type"].encode() + b"\t" + body.rstrip(b"\n") + b"\n")
        self.send_response(204)
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", 8088), Receiver).serve_forever()
"""

SCRIPT = r"""#!/bin/sh
O=/root/kctest/out
mkdir -p $O
t() { timeout 60 "$@"; }
t dpkg -i /root/kctest/kcrashd.deb > $O/dpkg.log 2>&1
echo $? > $O/dpkg.rc

# postfix for this host only
postconf -e inet_interfaces=loopback-only "myhostname=$(hostname)"
t systemctl restart postfix

python3 /root/kctest/receiver.py > $O/receiver.log 2>&1 &

# The examples, installed and edited as doc/hooks.md says.
EX=/usr/share/doc/kcrashd/examples/hooks.d
for h in 50-mail 60-webhook 70-log-file; do install -m 0755 $EX/$h /etc/kcrashd/hooks.d/; done
sed -i 's|^URL=.*|URL="http://127.0.0.1:8088/kcrashd"|' /etc/kcrashd/hooks.d/60-webhook
# the start-up summary is a notice (priority 5): this admin wants notices mailed too
sed -i 's|^MAX_PRIORITY = .*|MAX_PRIORITY = 5|' /etc/kcrashd/hooks.d/50-mail
mkdir -p /etc/systemd/system/kcrashd.service.d
cp /root/kctest/dropins/*.conf /etc/systemd/system/kcrashd.service.d/
t systemctl daemon-reload
date +%s > $O/restarted
t systemctl restart kcrashd

for i in $(seq 1 300); do
    [ -s /var/mail/root ] && [ -s $O/webhook ] && [ -s /var/log/kcrashd/alerts.log ] && break
    sleep 0.1
done
sleep 1
cp /var/mail/root $O/mailbox 2>/dev/null
cp /var/log/kcrashd/alerts.log $O/alerts.log 2>/dev/null
t journalctl -u kcrashd --since "@$(cat $O/restarted)" --no-pager -o cat > $O/unit.log 2>&1
t journalctl -u postfix@- --no-pager -o cat > $O/postfix.log 2>&1
echo done > $O/done
systemctl poweroff
"""


def _doc_dropins() -> Dict[str, str]:
    """The [Service] drop-ins doc/hooks.md gives, in its order."""
    blocks = re.findall(r"```ini\n(.*?)```", HOOKS_DOC.read_text(), re.S)
    assert len(blocks) == 3, blocks  # network, log file, postfix
    return {f"{10 * (i + 1)}-hooks.conf": b for i, b in enumerate(blocks)}


@pytest.fixture(scope="module")
def booted(tmp_path_factory) -> Dict[str, str]:
    work = tmp_path_factory.mktemp("hooks")
    root = operator_root(work / "root")
    kctest = root / "root" / "kctest"
    (kctest / "dropins").mkdir(parents=True)
    shutil.copy(packages()["deb"], kctest / "kcrashd.deb")
    (kctest / "receiver.py").write_text(RECEIVER)
    for name, text in _doc_dropins().items():
        (kctest / "dropins" / name).write_text(text)
    start = time.monotonic()
    console = boot_and_run(root, SCRIPT)
    out = kctest / "out"
    results = {p.name: p.read_text(errors="replace") for p in out.iterdir()} if out.exists() else {}
    results["console"] = console
    results["seconds"] = f"{time.monotonic() - start:.1f}"
    assert results.get("done"), "the script did not finish:\n" + console[-4000:]
    yield results
    remove_root(root)


@pytest.mark.slow
@pytest.mark.root
def test_the_examples_deliver_from_inside_the_sandbox(booted):
    assert booted["dpkg.rc"].strip() == "0", booted["dpkg.log"][-3000:]
    failures = [line for line in booted["unit.log"].splitlines() if "hook " in line]
    assert failures == [], "\n".join(failures)

    # The web hook: the document as the daemon wrote it, as JSON.
    posts = booted["webhook"].splitlines()
    assert posts, booted["receiver.log"]
    content_type, body = posts[-1].split("\t", 1)
    assert content_type == "application/json"
    alert = json.loads(body)
    validate("hook-alert", alert)
    assert alert["type"] == "readiness_summary"

    # The log file: the same alert, with the time it was logged.
    logged = booted["alerts.log"].splitlines()[-1].split("\t", 1)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", logged[0])
    assert json.loads(logged[1]) == alert

    # The mail: delivered by postfix into root's mailbox, about the same alert.
    assert "status=sent (delivered to mailbox)" in booted["postfix.log"], booted["postfix.log"]
    mails = [m for m in booted["mailbox"].split("\nFrom ") if m.strip()]
    mail = email.message_from_string(mails[-1].split("\n", 1)[1], policy=email.policy.default)
    assert mail["Subject"].startswith(f"[kcrashd {alert['severity']}] ")
    assert alert["summary"][:40] in " ".join(str(mail["Subject"]).split())
    body_text = mail.get_content()
    assert f"journalctl -x KCRASHD_ALERT_ID={alert['alert_id']}" in body_text
    assert f"type:     {alert['type']}" in body_text


# --- on the host, through the daemon's hook runner ---------------------------------------


def _alert(severity: Severity = Severity.ERR) -> Alert:
    return Alert(
        "crash_report",
        severity,
        "kernel page_fault: BUG: unable to handle page fault in foo_ioctl in foo_drv",
        {"kind": "page_fault", "incident": "158050bf26ff", "function": "foo_ioctl"},
        "crash:b:page_fault:foo_ioctl",
    )


def _install(tmp_path: Path, name: str, edits: Dict[str, str] = None) -> Path:
    hooks = tmp_path / "hooks.d"
    hooks.mkdir(exist_ok=True)
    text = (EXAMPLES / name).read_text()
    for old, new in (edits or {}).items():
        assert old in text
        text = text.replace(old, new)
    (hooks / name).write_text(text)
    (hooks / name).chmod(0o755)
    return hooks


def test_log_file_appends_the_document(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGS_DIRECTORY", str(tmp_path))
    hooks = _install(tmp_path, "70-log-file")
    for n in range(2):
        ((path, code, error),) = run_hooks(str(hooks), 10, _alert(), f"id{n}")
        assert (code, error) == (0, None)
    lines = (tmp_path / "alerts.log").read_text().splitlines()
    assert [json.loads(line.split("\t")[1]) for line in lines] == [
        alert_document(_alert(), "id0"),
        alert_document(_alert(), "id1"),
    ]


def test_log_file_says_what_to_do_when_it_cannot_write(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGS_DIRECTORY", str(tmp_path / "not-there"))
    hooks = _install(tmp_path, "70-log-file")
    ((_, code, error),) = run_hooks(str(hooks), 10, _alert(), "id")
    assert code == 1 and "LogsDirectory=kcrashd" in error


@pytest.mark.slow
def test_webhook_gives_up_before_kcrashd_kills_it(tmp_path):
    """A receiver that accepts the connection and never answers: curl's --max-time ends
    the hook with an error of its own, before hooks.timeout_seconds (10 s) kills it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    port = server.getsockname()[1]
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    hooks = _install(
        tmp_path,
        "60-webhook",
        {'URL="https://alerts.example.com/kcrashd"': f'URL="http://127.0.0.1:{port}/kcrashd"'},
    )
    start = time.monotonic()
    ((_, code, error),) = run_hooks(str(hooks), 10, _alert(), "id")
    took = time.monotonic() - start
    server.close()
    assert code == 28 and "timed out" in error, error  # curl: operation timed out
    assert 7 < took < 10


def test_mail_skips_alerts_below_its_threshold(tmp_path):
    # A sendmail that cannot run: the notice is not mailed (exit 0, nothing tried), the
    # error is (the hook fails, and says why).
    hooks = _install(
        tmp_path,
        "50-mail",
        {'SENDMAIL = ["/usr/sbin/sendmail", "-t", "-oi"]': f'SENDMAIL = ["{tmp_path}/none"]'},
    )
    ((_, code, error),) = run_hooks(str(hooks), 10, _alert(Severity.NOTICE), "id")
    assert (code, error) == (0, None)
    ((_, code, error),) = run_hooks(str(hooks), 10, _alert(Severity.ERR), "id")
    assert code == 1 and error.endswith(f"cannot run {tmp_path}/none: No such file or directory")


def test_examples_are_executable_scripts():
    for hook in EXAMPLES.iterdir():
        assert os.access(hook, os.X_OK), hook
        assert hook.read_text().startswith("#!/")
