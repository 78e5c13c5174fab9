"""Real mail servers on the loopback for the mailbox tests and the benchmark.

`Dovecot` runs Debian's dovecot-imapd (`/usr/sbin/dovecot`) with a throwaway configuration in a
temporary folder: its own base_dir, a passwd-file of users, maildir storage in the folder, a
free port on 127.0.0.1, no TLS. As root (a CI container) the mail and login processes run as
Debian's `dovecot` and `dovenull` users, since Dovecot refuses to serve mail as root.
`Recorder` is an aiosmtpd handler that keeps every mail it receives.
"""

from __future__ import annotations

import email
import email.policy
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imap_tools import MailBoxUnencrypted

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dovecot_installed() -> bool:
    return Path(DOVECOT).is_file() and os.access(DOVECOT, os.X_OK)


@dataclass
class Account:
    host: str
    port: int
    user: str
    password: str

    def open(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted(self.host, self.port).login(self.user, self.password)

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.open() as box:
            box.append(raw, folder)

    def flags(self, folder: str = "INBOX") -> list[tuple[str, ...]]:
        with self.open() as box:
            box.folder.set(folder)
            return [
                tuple(f for f in m.flags if f != "\\Recent")
                for m in box.fetch(mark_seen=False, headers_only=True)
            ]


class Dovecot:
    """One IMAP server for a whole test session; each test gets a fresh user (`account()`)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ascolto-dovecot-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        root = os.getuid() == 0
        if root:
            mail_user, login_user = pwd.getpwnam("dovecot"), "dovenull"
        else:
            mail_user = pwd.getpwuid(os.getuid())
            login_user = mail_user.pw_name
        self.uid, self.gid = mail_user.pw_uid, mail_user.pw_gid
        (self.folder / "base").mkdir()
        (self.folder / "mail").mkdir()
        # Every user is written now: Dovecot reads the passwd-file again only when its
        # modification time changes, which a user added within the same second would not show.
        self.users = [(f"u{n}-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex) for n in range(300)]
        (self.folder / "passwd").write_text(
            "".join(
                f"{user}:{{PLAIN}}{password}:{self.uid}:{self.gid}::{self.folder}/mail/{user}\n"
                for user, password in self.users
            )
        )
        if root:
            self.folder.chmod(0o755)
            os.chown(self.folder / "mail", self.uid, self.gid)
        group = mail_user.pw_name if root else _group(self.gid)
        (self.folder / "dovecot.conf").write_text(
            f"""base_dir = {self.folder}/base
state_dir = {self.folder}/base/state
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {mail_user.pw_name}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1
log_path = {self.folder}/dovecot.log
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.folder}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.folder}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        )

    def start(self) -> None:
        # The mail server is another system, on the real clock: a suite run under faketime
        # (to test another date) pins our process's clock, not Dovecot's.
        environment = {k: v for k, v in os.environ.items() if k not in {"LD_PRELOAD", "FAKETIME"}}
        self.process = subprocess.Popen(  # noqa: S603
            [DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "dovecot.log").read_text(errors="replace")
                raise RuntimeError(f"dovecot did not start:\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not answer on its port")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def account(self) -> Account:
        """A new user with an empty mailbox."""
        user, password = self.users.pop()
        return Account("127.0.0.1", self.port, user, password)


def _group(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


@dataclass
class Recorder:
    """An aiosmtpd handler: every mail received, parsed, with its envelope."""

    received: list[email.message.EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.raw.append(envelope.content)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"
