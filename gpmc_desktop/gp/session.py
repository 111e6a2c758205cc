"""One ``requests.Session`` per GP profile, authenticated the Windows way the profile asks for.

Shared by the SBA and SOAP sources so both authenticate identically.  TLS is verified by default against the
system store or the profile's CA bundle; there is no switch that turns verification off.

A request that ends unauthenticated does not come back as a bare 401: the auth object raises a
:class:`~gpmc_desktop.gp.auth_errors.GPAuthError` (``Stage.AUTH``) that says why, because only the auth object
knows what was tried (a Kerberos error, a method the server does not offer, NTLM after Kerberos...).  Every auth
object has ``used`` ("kerberos", "ntlm", "basic"; "" before a handshake) so ``gpmc check`` can say how it signed in.
"""

from __future__ import annotations

import base64
import contextlib
import re
from typing import Any
from urllib.parse import urlsplit

import requests
import spnego
from requests.auth import AuthBase, HTTPBasicAuth
from requests_kerberos import REQUIRED, HTTPKerberosAuth
from requests_kerberos.exceptions import KerberosExchangeError, MutualAuthenticationError
from requests_ntlm import HttpNtlmAuth
from spnego.exceptions import SpnegoError

from gpmc_desktop import __version__
from gpmc_desktop.gp import auth_errors
from gpmc_desktop.gp.auth_errors import GPAuthError
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.profile import GPSettings


def _host(url: str | None) -> str:
    return (urlsplit(url or "").hostname or "").lower()


def _principal(username: str) -> str | None:
    """``CORP\\jane`` → ``jane@CORP`` (Kerberos spells the realm the other way round)."""
    if "\\" in username:
        domain, user = username.split("\\", 1)
        return f"{user}@{domain.upper()}"
    return username or None


_NEGOTIATE = re.compile(r"Negotiate\s*([^,]*)", re.I)


def _negotiate_value(response: requests.Response) -> bytes | None:
    """The server's Negotiate token (b"" for a bare offer), as requests-kerberos reads it."""
    match = _NEGOTIATE.search(response.headers.get("WWW-Authenticate", ""))
    return base64.b64decode(match.group(1)) if match else None


def _drain(response: requests.Response) -> None:
    """Read and release a response we are about to raise over, so its connection goes back to the pool."""
    with contextlib.suppress(Exception):
        _ = response.content
        response.close()


def _initiator(ctx: Any) -> str | None:
    """The principal a finished Kerberos context signed in as (GSSAPI only; SSPI does not say)."""
    try:
        name = ctx._context.initiator_name  # pyspnego's GSSAPIProxy keeps the gssapi SecurityContext here
    except Exception:
        return None
    return str(name).rstrip("\x00") or None


class KerberosAuth(HTTPKerberosAuth):
    """requests-kerberos with mutual authentication required, failures remembered and explained.

    * Without a password the ticket already in the cache is used, whoever it belongs to (a domain-joined PC's
      Windows sign-in); with one, pyspnego asks the KDC for a ticket itself, no ``kinit`` needed.
    * *Any* failure to make a token (pyspnego's ``SpnegoError``, and krb5's ``Krb5Error`` that escapes it when a
      password is used) means "no token", so a caller can fall back; it is kept per host in ``failures`` to
      explain later, and that host is not tried again: requests-kerberos retries a 401 twice, and a second
      wrong password would bring the account closer to lock-out.
    * ``final``: a 401 at the end raises :class:`GPAuthError`.  :class:`NegotiateAuth` turns it off: it may
      still fall back to NTLM.
    """

    def __init__(self, username: str, password: str, *, spn_host: str | None = None, final: bool = True) -> None:
        super().__init__(
            mutual_authentication=REQUIRED,
            # Error bodies carry GP's LogId and its reason; requests-kerberos would blank them.
            sanitize_mutual_error_response=False,
            principal=_principal(username) if password else None,
            password=password or None,
            hostname_override=spn_host or None,
        )
        self.username = username
        self.final = final
        self.failures: dict[str, BaseException] = {}
        self.mutual_errors: dict[str, BaseException] = {}
        self.used = ""
        self.signed_in_as: str | None = None

    @property
    def failed_hosts(self) -> set[str]:
        return set(self.failures)

    def spn_host(self, host: str) -> str:
        return self.hostname_override or host

    def generate_request_header(
        self, response: requests.Response | None, host: str, is_preemptive: bool = False
    ) -> str:
        # requests-kerberos' own version, minus its log.exception on every (expected) failure.
        if host in self.failures:
            raise KerberosExchangeError(f"Kerberos already failed for {host}") from self.failures[host]
        flags = spnego.ContextReq.sequence_detect | spnego.ContextReq.mutual_auth
        try:
            ctx = spnego.client(
                username=self.principal, password=self.password, hostname=self.spn_host(host),
                service=self.service, channel_bindings=self._cbts.get(host), context_req=flags,
                protocol="kerberos",
            )
            self._context[host] = ctx
            token = ctx.step(in_token=None if is_preemptive or response is None else _negotiate_value(response))
        except Exception as exc:
            self.failures[host] = exc
            raise KerberosExchangeError(f"Kerberos failed for {host}: {exc}") from exc
        return f"Negotiate {base64.b64encode(token or b'').decode()}"

    def authenticate_server(self, response: requests.Response) -> bool:
        # requests-kerberos' own, keeping the reason: a ticket that expires mid-handshake fails here too.
        host = _host(response.url)
        try:
            self._context[host].step(in_token=_negotiate_value(response))
        except Exception as exc:
            self.mutual_errors[host] = exc
            return False
        return True

    def handle_other(self, response: requests.Response) -> requests.Response:
        host = _host(response.url)
        if host not in self._context:  # no token was sent (an anonymous server): nothing to verify
            return response
        try:
            response = super().handle_other(response)
        except MutualAuthenticationError as exc:
            _drain(response)
            cause = self.mutual_errors.get(host)
            if cause is not None and auth_errors.classify(cause) in auth_errors.CLOCK_REASONS:
                raise auth_errors.kerberos_failed(
                    cause, username=self.username, principal=self.principal, spn_host=self.spn_host(host),
                    has_password=bool(self.password),
                ) from exc
            raise auth_errors.mutual_failed(self.spn_host(host)) from exc
        if any(r.status_code == 401 for r in response.history):
            self.used = "kerberos"
            self.signed_in_as = _initiator(self._context[host]) or self.signed_in_as
        return response

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request = super().__call__(request)
        request.register_hook("response", self._finish)  # after requests-kerberos' own hook
        return request

    def _finish(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code == 401 and self.final:
            _drain(response)
            raise self.explain(response)
        return response

    def failure_reason(self, host: str) -> auth_errors.AuthReason:
        if host in self.failures:
            reason = auth_errors.classify(self.failures[host])
            if reason is auth_errors.AuthReason.UNKNOWN_SPN and auth_errors.is_ip(self.spn_host(host)):
                return auth_errors.AuthReason.IP_HOST
            return reason
        return auth_errors.AuthReason.REJECTED if host in self._context else auth_errors.AuthReason.NOT_OFFERED

    def explain(self, response: requests.Response) -> GPAuthError:
        host = _host(response.url)
        if host in self.failures:
            return auth_errors.kerberos_failed(
                self.failures[host], username=self.username, principal=self.principal,
                spn_host=self.spn_host(host), has_password=bool(self.password),
            )
        offered = auth_errors.offered_schemes(response)
        if "negotiate" not in offered:
            return auth_errors.not_offered("kerberos", offered, host)
        return auth_errors.kerberos_rejected(self.username, self.spn_host(host))


class NtlmAuth(HttpNtlmAuth):
    """requests-ntlm whose failures are :class:`GPAuthError`, not a 401, ``PermissionError`` or ``KeyError``."""

    def __init__(self, username: str, password: str, *, final: bool = True) -> None:
        super().__init__(username, password)
        self.final = final
        self.used = ""

    def response_hook(self, r: requests.Response, **kwargs: Any) -> requests.Response:
        try:
            out = super().response_hook(r, **kwargs)
        except (PermissionError, KeyError) as exc:  # the server's answer to our first message had no challenge
            raise auth_errors.ntlm_not_continued(_host(r.url)) from exc
        except SpnegoError as exc:  # e.g. no password and no cached NTLM credential (Linux)
            raise auth_errors.ntlm_failed(str(self.username), exc, bool(self.password)) from exc
        if out.status_code != 401:
            if out.history:
                self.used = "ntlm"
            return out
        if self.final:
            _drain(out)
            raise self.explain(out)
        return out

    def explain(self, response: requests.Response) -> GPAuthError:
        offered = auth_errors.offered_schemes(response)
        if "ntlm" not in offered and "negotiate" not in offered:
            return auth_errors.not_offered("ntlm", offered, _host(response.url))
        # IIS answers a wrong password, a locked and a disabled account with the same 401 (401.1).
        return auth_errors.refused(str(self.username))


class BasicAuth(HTTPBasicAuth):
    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self.used = ""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request = super().__call__(request)
        request.register_hook("response", self._finish)
        return request

    def _finish(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401:
            self.used = "basic"
            return response
        _drain(response)
        offered = auth_errors.offered_schemes(response)
        if "basic" not in offered:
            raise auth_errors.not_offered("basic", offered, _host(response.url))
        raise auth_errors.refused(str(self.username))


class NegotiateAuth(AuthBase):
    """Kerberos first (the domain-joined case); NTLM when the server offers it and Kerberos got nowhere.

    After a fallback the host is remembered and later requests go straight to NTLM.  ``used`` tells which of
    the two last signed in ("kerberos" or "ntlm"; "" before any handshake); :meth:`fallback_reason` why NTLM.
    """

    def __init__(self, username: str, password: str, *, spn_host: str | None = None) -> None:
        self.username = username
        self.kerberos = KerberosAuth(username, password, spn_host=spn_host, final=False)
        self.ntlm = NtlmAuth(username, password, final=False)
        self.used = ""
        self._ntlm_hosts: set[str] = set()

    @property
    def signed_in_as(self) -> str | None:
        return self.kerberos.signed_in_as if self.used == "kerberos" else None

    def fallback_reason(self) -> str:
        """Why Kerberos was not used, in a few words ("" unless NTLM signed in)."""
        if self.used != "ntlm" or not self._ntlm_hosts:
            return ""
        reason = self.kerberos.failure_reason(next(iter(self._ntlm_hosts)))
        return auth_errors.SHORT.get(reason, auth_errors.SHORT[auth_errors.AuthReason.OTHER])

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if _host(request.url) in self._ntlm_hosts:
            request = self.ntlm(request)
            request.register_hook("response", self._after_ntlm)
            return request
        request = self.kerberos(request)
        # Registered after Kerberos' own hooks, so it only sees the 401 that Kerberos could not answer.
        request.register_hook("response", self._fallback)
        return request

    def _fallback(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401:
            if self.kerberos.used:
                self.used = "kerberos"
            return response
        offered = auth_errors.offered_schemes(response)
        if "ntlm" not in offered and "negotiate" not in offered:
            _drain(response)
            raise self._explain(response, ntlm_tried=False)
        self._ntlm_hosts.add(_host(response.request.url))
        # The old code re-sent through ``connection.send``, which runs no hooks, so the NTLM handshake never
        # started; run requests-ntlm's own 401 handler instead.  It skips a request that already carries an
        # Authorization header, so drop Kerberos' rejected token first.
        response.request.headers.pop("Authorization", None)
        try:
            result = self.ntlm.response_hook(response, **kwargs)
        except GPAuthError as ntlm_error:
            raise self._explain(response, ntlm_tried=True, ntlm_error=ntlm_error) from ntlm_error
        return self._after_ntlm(result)

    def _after_ntlm(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401:
            if self.ntlm.used:
                self.used = "ntlm"
            return response
        _drain(response)
        raise self._explain(response, ntlm_tried=True)

    def _explain(
        self, response: requests.Response, *, ntlm_tried: bool, ntlm_error: GPAuthError | None = None
    ) -> GPAuthError:
        host = _host(response.url)
        if not ntlm_tried:  # the server offers neither Negotiate nor NTLM, so Kerberos was not tried either
            return auth_errors.not_offered("negotiate", auth_errors.offered_schemes(response), host)
        kerberos_error = self.kerberos.explain(response) if host in self.kerberos.failures else None
        # Kerberos names the precise trouble (locked, expired password) where NTLM only gets a bare 401, and
        # when NTLM could not even start (no password, a Kerberos-only server) the Kerberos reason is the real one.
        precise = {auth_errors.AuthReason.LOCKED, auth_errors.AuthReason.PASSWORD_EXPIRED,
                   auth_errors.AuthReason.UNKNOWN_USER}
        if kerberos_error is not None and (kerberos_error.reason in precise or ntlm_error is not None):
            return kerberos_error
        return ntlm_error or self.ntlm.explain(response)


def method_used(auth: object) -> str:
    """How a session signed in, for people: "Kerberos", "NTLM, Negotiate fell back: no Kerberos ticket"..."""
    used = getattr(auth, "used", "")
    name = auth_errors.METHOD_NAMES.get(used, "")
    if isinstance(auth, NegotiateAuth) and used == "ntlm":
        reason = auth.fallback_reason()
        return f"{name}, Negotiate fell back" + (f": {reason}" if reason else "")
    return name


def signed_in_as(auth: object, username: str) -> str:
    """The account a session signed in as: the profile's user name unless Kerberos says it was someone else."""
    actual = getattr(auth, "signed_in_as", None)
    if not actual or (_principal(username) or "").casefold() == actual.casefold():
        return username
    return actual


def build_auth(settings: GPSettings, password: str) -> AuthBase:
    method = settings.auth
    spn_host = settings.spn_host
    if method == "ntlm":
        return NtlmAuth(settings.username, password)
    if method == "basic":
        if not settings.url.lower().startswith("https://"):
            raise GPError(Stage.AUTH, "Basic authentication sends the password in the clear.",
                          "Use an https:// server URL, or NTLM / Kerberos.")
        return BasicAuth(settings.username, password)
    if method == "kerberos":
        return KerberosAuth(settings.username, password, spn_host=spn_host)
    if method == "negotiate":
        return NegotiateAuth(settings.username, password, spn_host=spn_host)
    raise GPError(Stage.AUTH, f"Unknown authentication method {method!r}.", "Choose ntlm, kerberos or negotiate.")


class GPSession(requests.Session):
    """A profile's session that can open siblings signed in the same way, and closes them when it closes.

    NTLM and Kerberos authenticate a connection, and a ``requests.Session`` must not be shared across threads,
    so each SOAP worker reads on a sibling of its own.  The password stays inside a closure: not an attribute,
    not in a repr."""

    def __init__(self, settings: GPSettings, password: str) -> None:
        super().__init__()
        self.auth = build_auth(settings, password)
        self.verify = settings.ca_bundle or True
        self.headers.update({"User-Agent": f"gpmc-desktop/{__version__}", "Accept": "application/json"})
        self._make_sibling = lambda: GPSession(settings, password)
        self._siblings: list[GPSession] = []

    def sibling(self) -> GPSession:
        """A new session with the same settings and password (its own connections and sign-in)."""
        made = self._make_sibling()
        self._siblings.append(made)
        return made

    def close(self) -> None:
        for made in self._siblings:
            made.close()
        self._siblings.clear()
        super().close()

    def __repr__(self) -> str:
        return f"<GPSession {self.headers.get('User-Agent')}, {len(self._siblings)} sibling(s)>"


def build_session(settings: GPSettings, password: str) -> GPSession:
    return GPSession(settings, password)
