"""One mapping from what GP's web services answer over HTTP (or fail to) to a staged :class:`GPError`.

The SBA (REST) and the legacy Web Services (SOAP) sources run on the same IIS, the same Windows sign-in and the
same ``requests`` transport, so a timeout, a refused password or a 503 means the same thing from either and is
said the same way.  Only what truly differs is passed in as a :class:`GPService`: how a sentence names the
service, what to check when nothing answers, and where an administrator grants a signed-in user read access.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from gpmc_desktop.gp import auth_errors
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.retry_after import retry_after_seconds

# Worth another try: IIS recycling the GP service, a gateway or load balancer in between, a busy server.
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


def retry_after(resp: requests.Response, now: dt.datetime) -> float | None:
    """The seconds a 503 asks us to wait with Retry-After (None: no header, an unreadable one, another status):
    the service is being restarted or is shedding load, and says when to come back."""
    if resp.status_code != 503:
        return None
    return retry_after_seconds(resp.headers.get("Retry-After"), now)


@dataclass(frozen=True)
class GPService:
    """The words that differ between GP's two web services; everything else is said alike."""

    name: str  # how a sentence names it: "the GP server", "GP Web Services"
    reach_hint: str  # what to check when nothing answers at the URL
    access_hint: str  # where an administrator lets a signed-in user read (an HTTP 403)

    @property
    def title(self) -> str:
        """The name at the start of a sentence."""
        return self.name[:1].upper() + self.name[1:]


SBA = GPService(
    name="the GP server",
    reach_hint="Check the server name and port in the URL, and that the GP Service is running.",
    access_hint="In GP, map the Windows account to a GP user (User Setup > Windows Account) and give it access "
                "to this company (User Access Setup) and to the customer and receivables windows.",
)
SOAP = GPService(
    name="GP Web Services",
    reach_hint="Check the server name and port in the URL (usually 48620), and that the Microsoft Dynamics GP "
               "Service Host is running.",
    access_hint="Add the Windows account to a Dynamics Security Console role that may query customers and "
                "receivables in this company (Dynamics Security Console > Role Assignments), and check its "
                "rights on the Web Services site in IIS.",
)


def check_ca_file(verify: Any) -> None:
    """A CA file path that does not exist: requests would raise a bare OSError ("Could not find a suitable TLS
    CA certificate bundle") on the first call, before any byte goes out."""
    if isinstance(verify, str | os.PathLike) and not os.path.exists(verify):
        raise GPError(
            Stage.TLS, f"The CA certificate file {os.fspath(verify)} does not exist.",
            "Check the CA certificate file path (ca_bundle in the profile): the .pem file IT gave you.",
        )


def transport_error(
    service: GPService, exc: requests.exceptions.ConnectionError | requests.exceptions.Timeout, *, host: str,
    what: str, timeout: float, whole_collection: bool = True,
) -> GPError:
    """No HTTP answer at all: an untrusted certificate, no answer in time, or nobody at the address."""
    if isinstance(exc, requests.exceptions.SSLError):
        return GPError(
            Stage.TLS, f"{service.title} at {host} presented a certificate this computer does not trust.",
            "Ask IT for the certificate of the CA that issued it (a .pem or .cer file) and give it as the "
            "CA certificate file (ca_bundle in the profile).",
        )
    if isinstance(exc, requests.exceptions.Timeout):
        # Not retried: the same read would most likely take as long again, so repeating it only multiplies the
        # wait; the figure and the key to raise are what the person needs.
        hint = ("A large company can take minutes to list: raise timeout_seconds above that (GP timeout in the "
                "app's Advanced settings). The next run tries again." if whole_collection else
                "The server took the connection but answered nothing to a small request: the GP Service may be "
                "stuck; ask IT to look at it. The next run tries again.")
        return GPError(
            Stage.REACH, f"{service.title} at {host} did not answer {what} within {timeout:g} seconds.", hint,
        )
    return GPError(Stage.REACH, f"Cannot reach {service.name} at {host}.", service.reach_hint, transient=True)


def status_error(
    service: GPService,
    status: int,
    *,
    what: str,
    username: str,
    company: str,
    not_found: Callable[[], GPError],
    reason: str = "",
    log_id: str = "",
    retry_after: float | None = None,
) -> GPError:
    """An HTTP error answer (*status*) to a request for *what*.

    *not_found* builds the 404 verdict, which only the source can give (SBA: which of tenant and company is
    wrong; SOAP: no endpoint at that path).  *reason* and *log_id* are what GP said, when it said anything;
    *retry_after* the seconds it asked us to wait (see :func:`retry_after`)."""
    if status == 401:
        # Only with a foreign auth object: build_session's own raise a GPAuthError that says why.
        return auth_errors.refused(username)
    if status == 403:
        return GPError(
            Stage.ACCESS, f"{username} signed in, but GP does not let that user read {what} in company {company!r}.",
            service.access_hint,
        )
    if status == 404:
        return not_found()
    transient = status in TRANSIENT_STATUSES
    detail = reason.strip().rstrip(".") or f"HTTP {status}"
    if log_id:
        hint = "Give the LogId to your GP administrator" + ("; the sync will try again." if transient else ".")
    else:
        hint = "The sync will try again." if transient else "Give this message to your GP administrator."
    return GPError(
        Stage.SERVER,
        f"{service.title} failed while returning {what}: {detail}" + (f" (LogId {log_id})" if log_id else "") + ".",
        hint, transient=transient, log_id=log_id, retry_after=retry_after,
    )
