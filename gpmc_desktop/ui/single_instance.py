"""One running app per user: the first start listens on a per-user local socket (a named pipe on Windows),
a second start connects to it, asks the first to show its window, and exits.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
CONNECT_TIMEOUT_MS = 1000


def instance_key(user: str | None = None, suffix: str = "") -> str:
    """A socket name per user: the user name is hashed because it may hold characters a pipe name cannot."""
    if user is None:
        try:
            user = getpass.getuser()
        except Exception:  # no user name in the environment (a service account): fall back to the uid
            user = str(os.getuid()) if hasattr(os, "getuid") else "default"
    digest = hashlib.sha256(f"{user}|{suffix}".encode()).hexdigest()[:16]
    return f"gpmc-desktop-{digest}"


class SingleInstance(QObject):
    """``if not guard.acquire(): sys.exit(0)``; then `activated` fires whenever another start is attempted."""

    activated = Signal()

    def __init__(self, key: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key or instance_key()
        self._server: QLocalServer | None = None

    def notify_running(self) -> bool:
        """If an instance is already listening, ask it to come forward and return True."""
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write(ACTIVATE)
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        return True

    def acquire(self) -> bool:
        """True if this process is now the one instance; False if another one answered (and was activated)."""
        if self.notify_running():
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.key):
            # On Unix a crashed instance leaves its socket file behind: nobody answered above, so remove it.
            QLocalServer.removeServer(self.key)
            if not server.listen(self.key):
                log.warning("single-instance socket %s unavailable: %s", self.key, server.errorString())
                return True  # better two instances than none
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @Slot()
    def _on_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    @Slot()
    def _on_ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if ACTIVATE.strip() in data:
            self.activated.emit()
