"""One ``requests.Session`` per GP profile, authenticated the Windows way the profile asks for.

Shared by the SBA and SOAP sources so both authenticate identically.  TLS is verified by default against the
system store or the profile's CA bundle; there is no switch that turns verification off.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth
from requests_ntlm import HttpNtlmAuth

from gpmc_desktop import __version__
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.sync.config import GPSettings


class NegotiateAuth(AuthBase):
    """Kerberos first (the domain-joined case); NTLM when the server offers it and Kerberos got nowhere."""

    def __init__(self, username: str, password: str, **kerberos_options: Any) -> None:
        from requests_kerberos import OPTIONAL, HTTPKerberosAuth

        kerberos_options.setdefault("mutual_authentication", OPTIONAL)
        principal = _principal(username)
        self.kerberos = HTTPKerberosAuth(principal=principal, password=password or None, **kerberos_options)
        self.ntlm = HttpNtlmAuth(username, password)
        self.used = ""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self.used = "kerberos"
        request = self.kerberos(request)
        # Registered after Kerberos' own hook, so it only sees the 401 that Kerberos could not answer.
        request.register_hook("response", self._fallback)
        return request

    def _fallback(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        offered = response.headers.get("WWW-Authenticate", "").lower()
        if response.status_code != 401 or "ntlm" not in offered or self.used == "ntlm":
            return response
        self.used = "ntlm"
        response.content  # noqa: B018 - drain the body so the connection can carry the NTLM handshake
        return self._ntlm_retry(response, **kwargs)

    def _ntlm_retry(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        request = response.request.copy()
        request.headers.pop("Authorization", None)
        request.deregister_hook("response", self._fallback)
        request = self.ntlm(request)
        sent = response.connection.send(request, **kwargs)
        sent.history.append(response)
        return sent


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
        from requests_kerberos import OPTIONAL, HTTPKerberosAuth

        return HTTPKerberosAuth(
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
