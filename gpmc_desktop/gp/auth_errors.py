"""Windows sign-in failures (Kerberos, NTLM, Basic) in words a finance admin can act on.

Kerberos fails in three libraries' dialects: MIT krb5 (``Krb5Error.err_code`` when pyspnego signs in with a
password), GSSAPI (``GSSError`` major/minor codes inside a ``SpnegoError``) and, on Windows, SSPI (``winerror``).
:func:`classify` maps all three onto one :class:`AuthReason`; the message texts are only a fallback, because
their wording changes between library versions.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from enum import StrEnum

import requests

from gpmc_desktop.gp.errors import GPError, Stage

# The marker the desktop shell looks for to offer "enter the password again" (gpmc_desktop/ui/status.py).
REFUSED = "GP refused the Windows credentials of"


class AuthReason(StrEnum):
    WRONG_PASSWORD = "wrong_password"  # NTLM/Basic cannot tell this from "locked": Windows answers both with 401
    LOCKED = "locked"
    PASSWORD_EXPIRED = "password_expired"
    UNKNOWN_USER = "unknown_user"
    NO_TICKET = "no_ticket"
    EXPIRED_TICKET = "expired_ticket"
    UNKNOWN_SPN = "unknown_spn"
    IP_HOST = "ip_host"
    CLOCK_SKEW = "clock_skew"
    KDC_UNREACHABLE = "kdc_unreachable"
    NOT_OFFERED = "not_offered"
    REJECTED = "rejected"  # the server refused a Kerberos ticket the domain issued
    NOT_CONTINUED = "not_continued"  # the server dropped an NTLM handshake after our first message
    MUTUAL = "mutual"
    OTHER = "other"


# Re-entering the password may fix these (the shell asks for it); the others need IT or another setting.
PASSWORD_MAY_HELP = frozenset({
    AuthReason.WRONG_PASSWORD, AuthReason.LOCKED, AuthReason.PASSWORD_EXPIRED,
    AuthReason.NO_TICKET, AuthReason.EXPIRED_TICKET,
})

# Time trouble can surface as late as the server's final token (a ticket that expires mid-handshake).
CLOCK_REASONS = frozenset({AuthReason.EXPIRED_TICKET, AuthReason.CLOCK_SKEW})

# Short forms for "with NTLM, Negotiate fell back: …" in `gpmc check`.
SHORT = {
    AuthReason.WRONG_PASSWORD: "the domain refused the password",
    AuthReason.LOCKED: "the account is locked",
    AuthReason.PASSWORD_EXPIRED: "the password has expired",
    AuthReason.UNKNOWN_USER: "the domain does not know the account",
    AuthReason.NO_TICKET: "no Kerberos ticket",
    AuthReason.EXPIRED_TICKET: "the Kerberos ticket has expired",
    AuthReason.UNKNOWN_SPN: "the server's name is not registered for Kerberos",
    AuthReason.IP_HOST: "the URL is an IP address",
    AuthReason.CLOCK_SKEW: "this PC's clock is off",
    AuthReason.KDC_UNREACHABLE: "no domain controller reachable",
    AuthReason.NOT_OFFERED: "the server offers no Kerberos",
    AuthReason.REJECTED: "the server refused the Kerberos ticket",
    AuthReason.OTHER: "Kerberos failed",
}

METHOD_NAMES = {"kerberos": "Kerberos", "ntlm": "NTLM", "basic": "Basic", "negotiate": "Automatic (Negotiate)"}


class GPAuthError(GPError):
    """A sign-in failure: always ``Stage.AUTH``; ``reason`` is for code, message and hint are for people."""

    def __init__(self, reason: AuthReason, message: str, hint: str = "") -> None:
        super().__init__(Stage.AUTH, message, hint)
        self.reason = reason

    @property
    def password_may_help(self) -> bool:
        return self.reason in PASSWORD_MAY_HELP


# ------------------------------------------------------------------------------------------- classification
_KRB5 = -1765328384  # ERROR_TABLE_BASE_krb5: KDC and AP error numbers are offsets from it
_KRB5_CODES = {
    _KRB5 + 6: AuthReason.UNKNOWN_USER,  # KDC_ERR_C_PRINCIPAL_UNKNOWN
    _KRB5 + 7: AuthReason.UNKNOWN_SPN,  # KDC_ERR_S_PRINCIPAL_UNKNOWN
    _KRB5 + 18: AuthReason.LOCKED,  # KDC_ERR_CLIENT_REVOKED: locked out or disabled
    _KRB5 + 23: AuthReason.PASSWORD_EXPIRED,  # KDC_ERR_KEY_EXPIRED
    _KRB5 + 24: AuthReason.WRONG_PASSWORD,  # KDC_ERR_PREAUTH_FAILED
    _KRB5 + 31: AuthReason.WRONG_PASSWORD,  # KRB_AP_ERR_BAD_INTEGRITY (reply undecryptable: no pre-auth)
    _KRB5 + 32: AuthReason.EXPIRED_TICKET,  # KRB_AP_ERR_TKT_EXPIRED
    _KRB5 + 33: AuthReason.CLOCK_SKEW,  # KRB_AP_ERR_TKT_NYV: a ticket "from the future"
    _KRB5 + 37: AuthReason.CLOCK_SKEW,  # KRB_AP_ERR_SKEW
    _KRB5 + 141: AuthReason.NO_TICKET,  # KRB5_CC_NOTFOUND
    _KRB5 + 154: AuthReason.KDC_UNREACHABLE,  # KRB5_REALM_UNKNOWN ("Cannot find KDC for realm")
    _KRB5 + 156: AuthReason.KDC_UNREACHABLE,  # KRB5_KDC_UNREACH
    _KRB5 + 164: AuthReason.KDC_UNREACHABLE,  # KRB5_REALM_CANT_RESOLVE
    _KRB5 + 195: AuthReason.NO_TICKET,  # KRB5_FCC_NOFILE
}
# GSS_S_NO_CRED, GSS_S_CREDENTIALS_EXPIRED, GSS_S_CONTEXT_EXPIRED (the ticket ran out mid-handshake)
_GSS_MAJOR = {0x70000: AuthReason.NO_TICKET, 0xB0000: AuthReason.EXPIRED_TICKET, 0xC0000: AuthReason.EXPIRED_TICKET}
_SSPI_CODES = {  # HRESULTs SSPI raises on Windows
    0x80090324: AuthReason.CLOCK_SKEW,  # SEC_E_TIME_SKEW
    0x80090303: AuthReason.UNKNOWN_SPN,  # SEC_E_TARGET_UNKNOWN
    0x80090322: AuthReason.UNKNOWN_SPN,  # SEC_E_WRONG_PRINCIPAL
    0x8009030E: AuthReason.NO_TICKET,  # SEC_E_NO_CREDENTIALS
    0x8009030C: AuthReason.WRONG_PASSWORD,  # SEC_E_LOGON_DENIED
    0x80090311: AuthReason.KDC_UNREACHABLE,  # SEC_E_NO_AUTHENTICATING_AUTHORITY
    0x80090317: AuthReason.EXPIRED_TICKET,  # SEC_E_CONTEXT_EXPIRED
}
_TEXTS = (  # lower-case fragments, checked in order, when no code is known
    ("clock skew", AuthReason.CLOCK_SKEW),
    ("clocks on the client and server", AuthReason.CLOCK_SKEW),
    ("ticket not yet valid", AuthReason.CLOCK_SKEW),
    ("ticket expired", AuthReason.EXPIRED_TICKET),
    ("credential has expired", AuthReason.EXPIRED_TICKET),
    ("context has expired", AuthReason.EXPIRED_TICKET),
    ("password has expired", AuthReason.PASSWORD_EXPIRED),
    ("credentials have been revoked", AuthReason.LOCKED),
    ("preauthentication failed", AuthReason.WRONG_PASSWORD),
    ("password incorrect", AuthReason.WRONG_PASSWORD),
    ("server not found in kerberos database", AuthReason.UNKNOWN_SPN),
    ("client not found in kerberos database", AuthReason.UNKNOWN_USER),
    ("cannot find kdc", AuthReason.KDC_UNREACHABLE),
    ("cannot contact any kdc", AuthReason.KDC_UNREACHABLE),
    ("no kerberos credentials", AuthReason.NO_TICKET),
    ("no credentials cache", AuthReason.NO_TICKET),
    ("no credentials were supplied", AuthReason.NO_TICKET),
)


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: pyspnego keeps the library error in ``base_error``."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo += [getattr(cur, "base_error", None), cur.__cause__, cur.__context__]


def _signed32(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


def classify(exc: BaseException) -> AuthReason:
    chain = list(_chain(exc))
    for err in chain:
        for attr in ("err_code", "min_code"):  # krb5's Krb5Error, gssapi's GSSError (unsigned minor)
            code = getattr(err, attr, None)
            if isinstance(code, int) and _signed32(code) in _KRB5_CODES:
                return _KRB5_CODES[_signed32(code)]
        winerror = getattr(err, "winerror", None)
        if isinstance(winerror, int) and winerror & 0xFFFFFFFF in _SSPI_CODES:
            return _SSPI_CODES[winerror & 0xFFFFFFFF]
    text = " ".join(str(err) for err in chain).lower()
    if "server" in text and "not found in kerberos database" in text:
        return AuthReason.UNKNOWN_SPN
    if "client" in text and "not found in kerberos database" in text:
        return AuthReason.UNKNOWN_USER
    for fragment, reason in _TEXTS:
        if fragment in text:
            return reason
    for err in chain:  # a bare GSS major code is the least specific answer
        major = getattr(err, "maj_code", None)
        if isinstance(major, int) and major & 0xFFFF0000 in _GSS_MAJOR:
            return _GSS_MAJOR[major & 0xFFFF0000]
    return AuthReason.OTHER


def offered_schemes(response: requests.Response) -> list[str]:
    """``WWW-Authenticate: NTLM, Negotiate, Basic realm="x"`` → ["ntlm", "negotiate", "basic"]."""
    schemes: list[str] = []
    header = _QUOTED.sub('""', response.headers.get("WWW-Authenticate", ""))  # a realm may hold commas
    for part in header.split(","):
        word = part.strip().split(" ", 1)[0]
        if word and "=" not in word and word.lower() not in schemes:  # skip auth-params like realm="x"
            schemes.append(word.lower())
    return schemes


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _realm(principal: str | None) -> str:
    return principal.rpartition("@")[2] if principal and "@" in principal else "the domain"


def _names(schemes: list[str]) -> str:
    names = [METHOD_NAMES.get(s, s) for s in schemes if s in ("ntlm", "negotiate", "basic")]
    return ", ".join(n.replace("Automatic (Negotiate)", "Negotiate") for n in names) or "no Windows sign-in"


# ---------------------------------------------------------------------------------------------- messages
def refused(username: str, *, detail: str = "") -> GPAuthError:
    """The server said no to a user name and password (NTLM, Basic, or a plain 401 from elsewhere)."""
    return GPAuthError(
        AuthReason.WRONG_PASSWORD,
        f"{REFUSED} {username}: {detail or 'the password is wrong, or the account is locked or disabled'}.",
        "Check the domain\\user name and the password (sign in to Windows with them to test); if they are right, "
        "ask IT whether the account is locked or disabled.",
    )


def not_offered(wanted: str, offered: list[str], host: str) -> GPAuthError:
    """The profile names a method the server does not offer (IIS lists its providers in WWW-Authenticate)."""
    name = METHOD_NAMES.get(wanted, wanted)
    windows = "ntlm" in offered or "negotiate" in offered
    if wanted == "kerberos":
        hint = ("Choose NTLM or Automatic (Negotiate) as the sign-in method." if windows
                else "Choose Basic (over https://) as the sign-in method." if "basic" in offered
                else "Ask IT to enable Windows Authentication on the GP Service site.")
    elif wanted in ("ntlm", "negotiate"):
        hint = ("Choose Basic (over https://) as the sign-in method, or ask IT to enable Windows Authentication."
                if "basic" in offered else "Ask IT to enable Windows Authentication on the GP Service site.")
    else:
        hint = ("Choose Automatic (Negotiate) or NTLM as the sign-in method." if windows
                else "Ask IT which sign-in the GP Service site accepts.")
    return GPAuthError(
        AuthReason.NOT_OFFERED, f"The GP server at {host} does not offer {name} (it offers {_names(offered)}).", hint
    )


def mutual_failed(spn_host: str) -> GPAuthError:
    return GPAuthError(
        AuthReason.MUTUAL,
        f"The GP server did not prove that it is the Kerberos service HTTP/{spn_host}, so its answer was not used.",
        "Something between this PC and GP (a proxy or a look-alike server) may be answering instead. "
        "Tell IT: the server's final Kerberos reply must reach this PC.",
    )


def ntlm_not_continued(host: str) -> GPAuthError:
    return GPAuthError(
        AuthReason.NOT_CONTINUED, f"The GP server at {host} broke off the NTLM sign-in.",
        "It may accept Kerberos only: choose Kerberos or Automatic (Negotiate), or ask IT to allow NTLM.",
    )


def ntlm_failed(username: str, exc: BaseException, has_password: bool) -> GPAuthError:
    if not has_password:
        return GPAuthError(
            AuthReason.NO_TICKET, f"NTLM sign-in as {username} needs a password on this computer.",
            f"Enter the Windows password of {username}, or choose Kerberos on a PC signed in to the domain.",
        )
    return GPAuthError(
        AuthReason.OTHER, f"NTLM sign-in as {username} failed on this computer: {exc}.",
        "Check the domain\\user name; give IT this message if it persists.",
    )


def kerberos_failed(
    exc: BaseException, *, username: str, principal: str | None, spn_host: str, has_password: bool
) -> GPAuthError:
    """Why this PC could not even produce a Kerberos ticket for the GP server."""
    reason = classify(exc)
    who = username or principal or "this account"
    again = ("Sign in to Windows again (lock and unlock the PC) while connected to the company network or VPN, "
             f"or enter the password of {who} in this profile so the app can sign in by itself.")
    if reason is AuthReason.UNKNOWN_SPN and is_ip(spn_host):
        reason = AuthReason.IP_HOST
    if reason is AuthReason.WRONG_PASSWORD:
        return GPAuthError(reason, f"{REFUSED} {who}: the domain says the password is wrong.",
                           f"Enter the current Windows password of {who}. Several wrong tries lock the account.")
    if reason is AuthReason.LOCKED:
        return GPAuthError(reason, f"{REFUSED} {who}: the domain account is locked or disabled.",
                           f"Ask IT to unlock or enable {who} (too many wrong passwords lock it), then check the "
                           "password saved in this profile.")
    if reason is AuthReason.PASSWORD_EXPIRED:
        return GPAuthError(reason, f"{REFUSED} {who}: its password has expired.",
                           "Change it (Ctrl+Alt+Del > Change a password on a domain PC), then enter the new one here.")
    if reason is AuthReason.UNKNOWN_USER:
        return GPAuthError(reason, f"The domain does not know the account {who} ({principal}).",
                           "Check the user name: write it as DOMAIN\\user, like CORP\\svc-gp.")
    if reason is AuthReason.NO_TICKET:
        if has_password:  # a ticket was not needed: the library could not use the password either
            return GPAuthError(reason, f"Kerberos could not sign in as {who}: {exc}.", again)
        return GPAuthError(reason, "This PC has no Kerberos ticket to sign in to GP with "
                           "(nobody is signed in to the Windows domain here, or the sign-in has lapsed).", again)
    if reason is AuthReason.EXPIRED_TICKET:
        return GPAuthError(reason, "This PC's Kerberos ticket has expired, so it cannot sign in to GP.", again)
    if reason is AuthReason.IP_HOST:
        return GPAuthError(
            reason, f"The GP server URL uses the IP address {spn_host}; Kerberos needs the server's name.",
            "Write the URL with the server's name (like https://gp01.corp.example), or set the Kerberos server "
            "name to it (Advanced settings in the app; [gp] spn_host in a profile file). Automatic (Negotiate) "
            "falls back to NTLM meanwhile.",
        )
    if reason is AuthReason.UNKNOWN_SPN:
        return GPAuthError(
            reason, f"The domain has no Kerberos service for the GP server's name {spn_host} (HTTP/{spn_host}).",
            f"Ask IT to register HTTP/{spn_host} for the GP service account (setspn -S HTTP/{spn_host} "
            "DOMAIN\\account), or set the Kerberos server name to the name it is registered under (Advanced "
            "settings in the app; [gp] spn_host in a profile file). Automatic (Negotiate) falls "
            "back to NTLM meanwhile.",
        )
    if reason is AuthReason.CLOCK_SKEW:
        return GPAuthError(
            reason, "This PC's clock differs from the domain's by more than 5 minutes, so Kerberos refuses to sign in.",
            "Set the date, time and time zone right (Settings > Time & language > Sync now), then try again.",
        )
    if reason is AuthReason.KDC_UNREACHABLE:
        return GPAuthError(
            reason, f"This PC cannot reach a domain controller for {_realm(principal)}.",
            "Connect to the company network or VPN and try again; check the domain part of the user name "
            "(DOMAIN\\user), or choose NTLM.",
        )
    return GPAuthError(reason, f"Kerberos sign-in to GP failed: {exc}.",
                       "Choose Automatic (Negotiate) to fall back to NTLM, and give IT this message.")


def kerberos_rejected(who: str, spn_host: str) -> GPAuthError:
    """The domain issued a ticket for HTTP/<spn_host>, and the GP server still answered 401."""
    return GPAuthError(
        AuthReason.REJECTED, f"The GP server did not accept the Kerberos ticket of {who} for HTTP/{spn_host}.",
        f"Ask IT to check that HTTP/{spn_host} belongs to the account the GP service runs as (setspn -L) and that "
        f"{who} may use GP. Automatic (Negotiate) falls back to NTLM meanwhile.",
    )
