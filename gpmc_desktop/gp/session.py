"""One ``requests.Session`` per GP profile, authenticated the Windows way the profile asks for.

Shared by the SBA and SOAP sources so both authenticate identically.  TLS is verified by default against the
system store or the profile's CA bundle; there is no switch that turns verification off.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth
from requests_kerberos import OPTIONAL, HTTPKerberosAuth
from requests_kerberos.exceptions import KerberosExchangeError
from requests_ntlm import HttpNtlmAuth

from gpmc_desktop import __version__
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.sync.config import GPSettings


class _Kerberos(HTTPKerberosAuth):
    """requests-kerberos where *any* Kerberos failure means "no token", so the caller can fall back.

    requests-kerberos only turns ``SpnegoError`` into "no token".  With a password, pyspnego calls krb5's kinit
    directly and its ``Krb5Error`` ("Cannot find KDC for realm") escaped from the response hook and failed the
    whole request instead of falling back to NTLM.  A host that failed once is not tried again, so one request
    does not pay for two KDC look-ups (requests-kerberos retries a 401 twice).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.failed_hosts: set[str] = set()

    def generate_request_header(
        self, response: requests.Response | None, host: str, is_preemptive: bool = False
    ) -> str:
        if host in self.failed_hosts:
            raise KerberosExchangeError(f"Kerberos already failed for {host}")
        try:
            return str(super().generate_request_header(response, host, is_preemptive))
        except Exception as exc:
            self.failed_hosts.add(host)
            if isinstance(exc, KerberosExchangeError):
                raise
            raise KerberosExchangeError(f"Kerberos unavailable: {type(exc).__name__}: {exc}") from exc


class NegotiateAuth(AuthBase):
    """Kerberos first (the domain-joined case); NTLM when the server offers it and Kerberos got nowhere.

    After a fallback the host is remembered and later requests go straight to NTLM.  ``used`` tells which of
    the two last signed in ("kerberos" or "ntlm"; "" before any handshake).
    """

    def __init__(self, username: str, password: str, **kerberos_options: Any) -> None:
        kerberos_options.setdefault("mutual_authentication", OPTIONAL)
        self.kerberos = _Kerberos(principal=_principal(username), password=password or None, **kerberos_options)
        self.ntlm = HttpNtlmAuth(username, password)
        self.used = ""
        self._ntlm_hosts: set[str] = set()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if _host(request.url) in self._ntlm_hosts:
            return self.ntlm(request)
        request = self.kerberos(request)
        # Registered after Kerberos' own hook, so it only sees the 401 that Kerberos could not answer.
        request.register_hook("response", self._fallback)
        return request

    def _fallback(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401:
            if response.history and any(r.status_code == 401 for r in response.history):
                self.used = "kerberos"
            return response
        offered = response.headers.get("WWW-Authenticate", "").lower()
        if "ntlm" not in offered and "negotiate" not in offered:
            return response
        self._ntlm_hosts.add(_host(response.request.url))
        self.used = "ntlm"
        # The old code re-sent through ``connection.send``, which runs no hooks, so the NTLM handshake never
        # started; run requests-ntlm's own 401 handler instead.  It skips a request that already carries an
        # Authorization header, so drop Kerberos' rejected token first.
        response.request.headers.pop("Authorization", None)
        return self.ntlm.response_hook(response, **kwargs)


def _host(url: str | None) -> str:
    return (urlsplit(url or "").hostname or "").lower()


def _principal(username: str) -> str | None:
    """``CORP\\jane`` → ``jane@CORP`` (Kerberos spells the realm the other way round)."""
    if "\\" in username:
        domain, user = username.split("\\", 1)
        return f"{user}@{domain.upper()}"
    return username or None


def build_auth(settings: GPSettings, password: str) -> AuthBase:
    method = settings.auth
    if method == "ntlm":
        return HttpNtlmAuth(settings.username, password)
    if method == "basic":
        if not settings.url.lower().startswith("https://"):
            raise GPError(Stage.AUTH, "Basic authentication sends the password in the clear.",
                          "Use an https:// server URL, or NTLM / Kerberos.")
        return HTTPBasicAuth(settings.username, password)
    if method == "kerberos":
        # _Kerberos: a failed kinit ends as GP's 401 (a plain auth error), not as krb5's exception.
        return _Kerberos(
            mutual_authentication=OPTIONAL, principal=_principal(settings.username), password=password or None
        )
    if method == "negotiate":
        return NegotiateAuth(settings.username, password)
    raise GPError(Stage.AUTH, f"Unknown authentication method {method!r}.", "Choose ntlm, kerberos or negotiate.")


def build_session(settings: GPSettings, password: str) -> requests.Session:
    session = requests.Session()
    session.auth = build_auth(settings, password)
    session.verify = settings.ca_bundle or True
    session.headers.update({"User-Agent": f"gpmc-desktop/{__version__}", "Accept": "application/json"})
    return session
