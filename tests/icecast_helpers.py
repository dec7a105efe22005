"""A real icecast2 for tests and benchmarks: generated config, loopback, its own user.

(No tests here.) icecast2 refuses to run as root, so as root it runs as ``nobody``
(``os.setgid``/``os.setuid`` before exec); as any other user it just runs. The
config lives in its own folder under the system's temporary folder (pytest's are
private to their owner), open to that user; ``close()`` removes it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ICECAST = shutil.which("icecast2") or shutil.which("icecast")
SHARE = Path("/usr/share/icecast2")

CONFIG = """\
<icecast>
  <location>test</location>
  <admin>test@localhost</admin>
  <limits>
    <clients>{clients}</clients>
    <sources>16</sources>
    <queue-size>1048576</queue-size>
    <client-timeout>30</client-timeout>
    <header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout>
    <burst-on-connect>1</burst-on-connect>
    <burst-size>65535</burst-size>
  </limits>
  <authentication>
    <source-password>{password}</source-password>
    <relay-password>{password}</relay-password>
    <admin-user>admin</admin-user>
    <admin-password>{password}</admin-password>
  </authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket>
    <port>{port}</port>
    <bind-address>127.0.0.1</bind-address>
  </listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>{base}</basedir>
    <logdir>{base}/log</logdir>
    <webroot>{share}/web</webroot>
    <adminroot>{share}/admin</adminroot>
    <pidfile>{base}/icecast.pid</pidfile>
  </paths>
  <logging>
    <accesslog>access.log</accesslog>
    <errorlog>error.log</errorlog>
    <loglevel>3</loglevel>
  </logging>
  <security><chroot>0</chroot></security>
</icecast>
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _drop_root() -> None:
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)  # nobody


class IcecastServer:
    """icecast2 on 127.0.0.1:``port`` with a generated source ``password``."""

    def __init__(self, clients: int = 200):
        if ICECAST is None:
            raise RuntimeError("icecast2 is not installed")
        self.base = Path(tempfile.mkdtemp(prefix="soundscape-icecast-"))
        (self.base / "log").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = secrets.token_hex(8)
        self.config = self.base / "icecast.xml"
        self.config.write_text(CONFIG.format(clients=clients, password=self.password,
                                             port=self.port, base=self.base, share=SHARE))
        for path in (self.base, self.base / "log", self.config):
            os.chmod(path, 0o777 if path.is_dir() else 0o644)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, mount: str, password: str | None = None) -> str:
        pw = self.password if password is None else password
        return f"icecast://source:{pw}@127.0.0.1:{self.port}{mount}"

    def start(self, timeout: float = 30) -> None:
        self.proc = subprocess.Popen([str(ICECAST), "-c", str(self.config)],
                                     preexec_fn=_drop_root, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"icecast2 exited with {self.proc.returncode}: {err}"
                                   + self.error_log())
            try:
                with urllib.request.urlopen(self.http + "/status-json.xsl", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise TimeoutError("icecast2 did not start:\n" + self.error_log())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        """Stop icecast2 and remove its folder."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def error_log(self) -> str:
        try:
            return (self.base / "log" / "error.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def mounts(self) -> list[str]:
        """The mounts with a source now (from /status-json.xsl)."""
        import json

        with urllib.request.urlopen(self.http + "/status-json.xsl", timeout=5) as r:
            text = r.read().decode("utf-8", errors="replace")
        try:
            stats = json.loads(text)["icestats"]
        except (ValueError, KeyError):
            return []
        sources = stats.get("source", [])
        if isinstance(sources, dict):
            sources = [sources]
        return sorted(urllib.parse.urlsplit(s["listenurl"]).path for s in sources
                      if "listenurl" in s)

    def wait_mounts(self, mounts: list[str], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if set(mounts) <= set(self.mounts()):
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"mounts {mounts} never appeared; have {self.mounts()}\n"
                           + self.error_log())
