"""Windows authentication for the GP simulator: a real NTLM/Negotiate/Kerberos acceptor (pyspnego) and Basic.

``Negotiate`` is one pyspnego acceptor that takes raw or SPNEGO-wrapped NTLM and Kerberos alike.  Kerberos works
when the process has a keytab for ``HTTP/<host>`` (``KRB5_KTNAME``; tests make a throwaway realm, see
``tests/auth/kdc.py``); without one a Kerberos token is refused with a 401 and NTLM still works.

pyspnego's NTLM acceptor looks users up in the file named by the process-wide ``NTLM_USER_FILE`` variable,
re-read on every handshake.  :class:`NtlmUserFile` therefore keeps one file per process holding the union of
every running simulator's users (in smbpasswd form, so passwords may contain ``:``); each change writes a new
file and repoints the variable, so a handshake in flight never reads a half-written file.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import hmac
import logging
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spnego
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from spnego._ntlm_raw.md4 import md4  # pyspnego's own MD4: OpenSSL 3 no longer ships one
from spnego.channel_bindings import GssChannelBindings

log = logging.getLogger(__name__)

NO_LM_HASH = "AAD3B435B51404EEAAD3B435B51404EE"  # what Windows stores when LM hashes are disabled
GSS_C_CHANNEL_BOUND_FLAG = 0x800  # MIT krb5 >= 1.19 sets it when the initiator's bindings matched ours
SCHEMES = ("ntlm", "negotiate")  # what IIS offers with Windows Authentication on (providers NTLM, Negotiate)


class NtlmUserConflict(ValueError):
    """Two simulators in one process want the same DOMAIN\\user with different passwords."""


@dataclass
class GPUser:
    """A Windows account mapped to a GP user, with the companies (INTERID or display name, or ``*``) it may open."""

    domain: str
    name: str
    password: str
    companies: set[str] = field(default_factory=set)
    locked: bool = False  # refused at sign-in like a locked-out domain account (IIS: the same 401 as a bad password)

    @property
    def principal(self) -> str:
        return f"{self.domain}\\{self.name}" if self.domain else self.name

    @property
    def key(self) -> str:
        return self.principal.upper()

    def may_open(self, interid: str, display_name: str) -> bool:
        wanted = {c.strip().casefold() for c in self.companies}
        return "*" in wanted or interid.strip().casefold() in wanted or display_name.strip().casefold() in wanted

    @classmethod
    def of(cls, spec: GPUser | tuple[Any, ...]) -> GPUser:
        if isinstance(spec, GPUser):
            return GPUser(spec.domain, spec.name, spec.password, set(spec.companies), spec.locked)
        domain, name, password, *rest = spec
        companies = rest[0] if rest else {"*"}
        return cls(domain, name, password, {companies} if isinstance(companies, str) else set(companies))


def nt_hash(password: str) -> str:
    return md4(password.encode("utf-16-le")).hex().upper()


class NtlmUserFile:
    """The per-process union of all simulators' NTLM users (see module docstring)."""

    _keep_files = 3  # older generations stay a little while: a reader may hold the old path from the env var

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[int, dict[str, tuple[str, str]]] = {}  # owner -> {KEY: (principal, nt hash)}
        self._dir: Path | None = None
        self._generation = 0
        self._files: list[Path] = []

    def set_users(self, owner: int, users: Iterable[GPUser]) -> None:
        users = list(users)
        entries = {u.key: (u.principal, nt_hash(u.password)) for u in users}
        for u in users:
            if any(ch in u.principal for ch in ":\r\n"):
                raise ValueError(f"an NTLM account name cannot hold ':' or line breaks: {u.principal!r}")
        with self._lock:
            for other, their in self._owners.items():
                if other == owner:
                    continue
                for key, (principal, digest) in entries.items():
                    if key in their and their[key][1] != digest:
                        raise NtlmUserConflict(
                            f"{principal} already exists with another password in a running simulator; "
                            "pyspnego reads one user file per process, so both cannot be served"
                        )
            self._owners[owner] = entries
            self._write()

    def drop(self, owner: int) -> None:
        with self._lock:
            if self._owners.pop(owner, None) is not None:
                self._write()

    def _write(self) -> None:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="gpmc-ntlm-"))
            atexit.register(shutil.rmtree, self._dir, True)
        seen: dict[str, tuple[str, str]] = {}
        for entries in self._owners.values():
            seen.update(entries)
        # smbpasswd format: USER:UID:LM:NT:FLAGS:LCT, the user part may be DOMAIN\user.
        text = "".join(f"{principal}:0:{NO_LM_HASH}:{digest}:[U]:LCT-00000000\n" for principal, digest in seen.values())
        self._generation += 1
        path = self._dir / f"users-{self._generation}.txt"
        path.write_text(text, encoding="utf-8")
        os.environ["NTLM_USER_FILE"] = str(path)
        self._files.append(path)
        while len(self._files) > self._keep_files:
            old = self._files.pop(0)
            with contextlib.suppress(OSError):  # Windows: still open in a reader; atexit removes it later
                old.unlink()


USER_FILE = NtlmUserFile()


def tls_channel_bindings(cert_path: Path) -> GssChannelBindings:
    """RFC 5929 ``tls-server-end-point`` bindings of the server certificate (what requests-ntlm sends)."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    algorithm = cert.signature_hash_algorithm
    if algorithm is None or algorithm.name in ("md5", "sha1"):
        algorithm = hashes.SHA256()
    digest = hashes.Hash(algorithm)
    digest.update(cert.public_bytes(Encoding.DER))
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest.finalize())


@dataclass
class AuthOutcome:
    """What the acceptor decided for one request."""

    user: GPUser | None = None  # set when the request is authenticated
    challenge: list[tuple[str, str]] | None = None  # 401 headers (a new challenge or the next leg)
    reason: str = ""  # why it failed, for the request log
    headers: list[tuple[str, str]] = field(default_factory=list)  # extra headers on success (Negotiate reply)


class WindowsAuthenticator:
    """Decides, per request, whether a connection is authenticated; keeps the handshake in ``conn_state``.

    NTLM and Kerberos authenticate the TCP connection (as IIS does): after a successful handshake later requests
    on the same connection need no header, a new connection must handshake again.  Basic is checked per request.

    Knobs (plain attributes, act on the next handshake): ``schemes`` the Windows schemes offered and accepted;
    ``accept_ntlm`` False for a Kerberos-only site (IIS' Negotiate:Kerberos provider); ``send_final_token``
    whether a finished handshake's last token (Kerberos' AP-REP, which a client requiring mutual
    authentication checks) goes out with the answer; ``channel_bindings`` to require Extended Protection for
    NTLM and Kerberos alike.  ``protocols`` counts finished handshakes by protocol ("kerberos", "ntlm").
    """

    def __init__(
        self,
        users: dict[str, GPUser],
        lock: threading.RLock,
        *,
        realm: str = "GPService",
        allow_basic: bool = False,
        channel_bindings: GssChannelBindings | None = None,
        schemes: Iterable[str] = SCHEMES,
    ) -> None:
        self.users = users  # shared with the simulator, guarded by *lock*
        self.lock = lock
        self.realm = realm
        self.allow_basic = allow_basic
        self.channel_bindings = channel_bindings
        self.schemes = tuple(s.lower() for s in schemes)
        self.accept_ntlm = True
        self.send_final_token = True
        self.handshakes = 0
        self.protocols: Counter[str] = Counter()

    def challenge_headers(self) -> list[tuple[str, str]]:
        headers = [("WWW-Authenticate", {"ntlm": "NTLM", "negotiate": "Negotiate"}[s]) for s in self.schemes]
        if self.allow_basic:
            headers.append(("WWW-Authenticate", f'Basic realm="{self.realm}"'))
        return headers

    def _user(self, principal: str | None) -> GPUser | None:
        """NTLM names users DOMAIN\\user, Kerberos user@REALM: both find the same account (as AD maps them)."""
        if not principal:
            return None
        keys = [principal.upper()]
        if "@" in principal:
            user, _, realm = principal.upper().rpartition("@")
            keys += [f"{realm}\\{user}", f"{realm.split('.')[0]}\\{user}"]  # CORP.EXAMPLE -> its NetBIOS name CORP
        with self.lock:
            return next((self.users[k] for k in keys if k in self.users), None)

    def lock_account(self, principal: str, locked: bool = True) -> None:
        user = self._user(principal)
        if user is None:
            raise KeyError(f"unknown user {principal!r}")
        with self.lock:
            user.locked = locked

    def authenticate(self, authorization: str | None, conn_state: dict[str, Any]) -> AuthOutcome:
        if authorization:
            scheme, _, data = authorization.strip().partition(" ")
            scheme = scheme.lower()
            if scheme in self.schemes:
                return self._step(scheme, data.strip(), conn_state)
            if scheme == "basic" and self.allow_basic:
                return self._basic(data.strip())
            return AuthOutcome(challenge=self.challenge_headers(), reason=f"unsupported scheme {scheme}")
        user = self._user(conn_state.get("principal"))
        if user is not None:
            return AuthOutcome(user=user)
        return AuthOutcome(challenge=self.challenge_headers(), reason="no credentials")

    def _step(self, scheme: str, data: str, conn_state: dict[str, Any]) -> AuthOutcome:
        try:
            token = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            conn_state.clear()
            return AuthOutcome(challenge=self.challenge_headers(), reason="token is not base64")
        if not self.accept_ntlm and token.startswith(b"NTLMSSP\x00"):
            conn_state.clear()
            return AuthOutcome(challenge=self.challenge_headers(), reason="ntlm not accepted")
        # A Negotiate (type 1) or SPNEGO init token starts a new handshake, even on an authenticated connection.
        starts = token.startswith(b"NTLMSSP\x00\x01\x00\x00\x00") or token[:1] == b"\x60"
        ctx = conn_state.get("ctx")
        if starts or ctx is None or conn_state.get("scheme") != scheme:
            conn_state.clear()
            ctx = spnego.server(
                protocol=scheme,
                # Force pyspnego's own implementation: SSPI or GSSAPI would check real Windows/Kerberos accounts.
                options=spnego.NegotiateOptions.use_ntlm if scheme == "ntlm" else spnego.NegotiateOptions.use_negotiate,
                channel_bindings=self.channel_bindings,
            )
            conn_state.update(ctx=ctx, scheme=scheme)
        try:
            out = ctx.step(token)
        except Exception as exc:  # pyspnego raises several types for bad tokens and wrong passwords alike
            conn_state.clear()
            return AuthOutcome(challenge=self.challenge_headers(), reason=f"{scheme} failed: {exc}")
        label = "NTLM" if scheme == "ntlm" else "Negotiate"
        if not ctx.complete:
            return AuthOutcome(challenge=[("WWW-Authenticate", f"{label} {base64.b64encode(out or b'').decode()}")],
                               reason="handshake in progress")
        conn_state.clear()
        principal = ctx.client_principal
        protocol = ctx.negotiated_protocol or scheme
        if protocol == "ntlm" and not self.accept_ntlm:  # NTLM wrapped in SPNEGO
            return AuthOutcome(challenge=self.challenge_headers(), reason="ntlm not accepted")
        if protocol == "kerberos" and self.channel_bindings is not None and not _channel_bound(ctx):
            # pyspnego's NTLM acceptor refuses a missing binding itself; MIT krb5 accepts a client that sent
            # none and only leaves GSS_C_CHANNEL_BOUND_FLAG unset, so Extended Protection "Required" checks it.
            return AuthOutcome(challenge=self.challenge_headers(), reason="kerberos: no channel binding")
        user = self._user(principal)
        if user is None:  # known to another simulator of this process (or to the KDC), not to this one
            return AuthOutcome(challenge=self.challenge_headers(), reason=f"unknown account {principal}")
        if user.locked:
            return AuthOutcome(challenge=self.challenge_headers(), reason=f"account locked {principal}")
        conn_state["principal"] = principal
        with self.lock:
            self.handshakes += 1
            self.protocols[protocol] += 1
        # The final token (Kerberos' AP-REP) rides on the successful answer, as IIS sends it: a client that
        # requires mutual authentication refuses the answer without it.
        extra = ([("WWW-Authenticate", f"Negotiate {base64.b64encode(out).decode()}")]
                 if out and self.send_final_token else [])
        return AuthOutcome(user=user, headers=extra)

    def _basic(self, data: str) -> AuthOutcome:
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return AuthOutcome(challenge=self.challenge_headers(), reason="basic: bad encoding")
        principal, sep, password = text.partition(":")
        user = self._user(principal)
        if not sep or user is None or user.locked or not _same(user.password, password):
            return AuthOutcome(challenge=self.challenge_headers(), reason="basic: wrong user or password")
        return AuthOutcome(user=user)


def _channel_bound(ctx: Any) -> bool:
    """Whether a finished Kerberos context carried the TLS channel binding (pyspnego does not expose the flag)."""
    inner = getattr(ctx, "_context", ctx)  # NegotiateProxy -> the chosen mech's GSSAPIProxy
    return bool(getattr(inner, "_context_attr", 0) & GSS_C_CHANNEL_BOUND_FLAG)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
