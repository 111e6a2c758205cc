"""The error vocabulary without a network: MIT, GSSAPI and SSPI codes, challenge parsing, the spn_host key."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from gpmc_desktop.gp.auth_errors import AuthReason, classify, kerberos_failed, offered_schemes
from gpmc_desktop.profile import ConfigError, profile_from_mapping


class FakeError(Exception):
    def __init__(self, text: str = "", **attrs: Any) -> None:
        super().__init__(text)
        for name, value in attrs.items():
            setattr(self, name, value)


class Wrapper(Exception):  # pyspnego's SpnegoError keeps the library error in base_error
    def __init__(self, base: BaseException) -> None:
        super().__init__("SpnegoError")
        self.base_error = base


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (FakeError("Preauthentication failed", err_code=-1765328360), AuthReason.WRONG_PASSWORD),  # Krb5Error
        (FakeError(err_code=-1765328366), AuthReason.LOCKED),
        (FakeError(err_code=-1765328361), AuthReason.PASSWORD_EXPIRED),
        (FakeError(err_code=-1765328347), AuthReason.CLOCK_SKEW),
        (Wrapper(FakeError(min_code=2529638919, maj_code=0xD0000)), AuthReason.UNKNOWN_SPN),  # GSSError, unsigned
        (Wrapper(FakeError(min_code=2529639053, maj_code=0x70000)), AuthReason.NO_TICKET),
        (Wrapper(FakeError(min_code=100001, maj_code=0xC0000)), AuthReason.EXPIRED_TICKET),
        (Wrapper(FakeError(winerror=-2146893020)), AuthReason.CLOCK_SKEW),  # SSPI SEC_E_TIME_SKEW, signed
        (Wrapper(FakeError(winerror=0x80090303)), AuthReason.UNKNOWN_SPN),  # SEC_E_TARGET_UNKNOWN
        (Wrapper(FakeError(winerror=0x8009030C)), AuthReason.WRONG_PASSWORD),  # SEC_E_LOGON_DENIED
        (Wrapper(FakeError(winerror=0x80090311)), AuthReason.KDC_UNREACHABLE),
        (FakeError("Server HTTP/gp01@CORP not found in Kerberos database"), AuthReason.UNKNOWN_SPN),  # text only
        (FakeError("Clock skew too great"), AuthReason.CLOCK_SKEW),
        (FakeError("something new"), AuthReason.OTHER),
    ],
)
def test_classify(error: BaseException, reason: AuthReason) -> None:
    assert classify(error) is reason


def test_every_reason_has_a_message_and_a_hint() -> None:
    for code in (-1765328360, -1765328366, -1765328361, -1765328378, -1765328243, -1765328352, -1765328377,
                 -1765328347, -1765328228, 1):
        err = kerberos_failed(FakeError("x", err_code=code), username="CORP\\jane", principal="jane@CORP",
                              spn_host="gp01.corp.example", has_password=False)
        assert err.message.endswith(".") and err.hint, err.reason


def test_unknown_spn_of_an_ip_address_is_the_ip_case() -> None:
    err = kerberos_failed(FakeError(err_code=-1765328377), username="CORP\\jane", principal=None,
                          spn_host="10.0.0.5", has_password=False)
    assert err.reason is AuthReason.IP_HOST and "10.0.0.5" in err.message


def test_offered_schemes() -> None:
    response = requests.Response()
    response.headers["WWW-Authenticate"] = 'NTLM, Negotiate, Basic realm="GP, Service", charset="UTF-8"'
    assert offered_schemes(response) == ["ntlm", "negotiate", "basic"]
    response.headers["WWW-Authenticate"] = "Negotiate oYGfMIGcoAMKAQ=="
    assert offered_schemes(response) == ["negotiate"]


def _profile(**gp: Any) -> dict[str, Any]:
    return {"gp": {"url": "https://10.0.0.5", "company": "TWO", "username": "CORP\\jane", **gp},
            "mailchimp": {"list_id": "abc", "store_id": "gp-two"}}


def test_spn_host_key() -> None:
    assert profile_from_mapping(_profile()).gp.spn_host is None
    assert profile_from_mapping(_profile(spn_host=" gp01.corp.example ")).gp.spn_host == "gp01.corp.example"
    for bad in ("https://gp01", "gp01:443", "", 5):
        with pytest.raises(ConfigError, match="spn_host"):
            profile_from_mapping(_profile(spn_host=bad))
