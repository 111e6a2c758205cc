"""The lifecycle both GP simulators share (SBA REST and legacy Web Services): the process-wide NTLM user file,
a throwaway CA when serving HTTPS, and the server thread."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, ClassVar, Self

from gpmc_desktop.demo.gp_auth import USER_FILE, GPUser, WindowsAuthenticator, tls_channel_bindings
from gpmc_desktop.demo.httpbase import SimHandler, SimServer
from gpmc_desktop.demo.tls import TlsFiles, make_ca


class GPServiceSimulator:
    """Base of the GP simulators; subclasses set the class attributes and fill the instance ones in __init__."""

    server_class: ClassVar[type[SimServer]]
    handler_class: ClassVar[type[SimHandler]]
    workdir_prefix: ClassVar[str] = "gpmc-gp-sim-"

    host: str
    tls: bool
    options: Any  # has require_channel_binding
    auth: WindowsAuthenticator
    tls_files: TlsFiles | None
    _requested_port: int
    _lock: threading.RLock
    _owner: int
    _users: dict[str, GPUser]
    _workdir: Path | None
    _own_workdir: bool
    _server: Any

    def start(self) -> Self:
        if self._server is not None:
            return self
        with self._lock:  # first: a user conflict with another simulator fails before anything is made
            USER_FILE.set_users(self._owner, self._users.values())
        try:
            context = None
            if self.tls:
                if self._workdir is None:
                    self._workdir = Path(tempfile.mkdtemp(prefix=self.workdir_prefix))
                    self._own_workdir = True
                self.tls_files = make_ca(self._workdir / "tls")
                context = self.tls_files.server_context()
                if self.options.require_channel_binding:
                    self.auth.channel_bindings = tls_channel_bindings(self.tls_files.cert_path)
            server = self.server_class(self.host, self._requested_port, self.handler_class, tls=context)
        except BaseException:
            self.stop()
            raise
        server.sim = self  # type: ignore[attr-defined]
        self._server = server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        USER_FILE.drop(self._owner)
        if self._own_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir, self._own_workdir = None, False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return int(self._server.port)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def replace_certificate(self) -> TlsFiles:
        """Serve a certificate from a new CA from the next TLS handshake on (a server re-issued by another CA, or
        something in the middle): a client that trusts only the old CA must refuse it.  Returns the new files."""
        if self._server is None or self._server.tls is None or self._workdir is None:
            raise RuntimeError("the simulator is not serving TLS")
        files = make_ca(self._workdir / f"tls-{sum(1 for _ in self._workdir.glob('tls-*')) + 1}")
        self._server.tls.load_cert_chain(files.cert_path, files.key_path)
        self.tls_files = files  # ca_path is now the new CA's
        return files

    @property
    def ca_path(self) -> Path | None:
        return self.tls_files.ca_path if self.tls_files else None
