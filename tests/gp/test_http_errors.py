"""The one HTTP-error mapper both GP sources use: the same status says the same thing from SBA and SOAP, and only
the words that truly differ (the service's name, where access is granted) are the service's own."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from gpmc_desktop.gp import http_errors
from gpmc_desktop.gp.auth_errors import REFUSED, AuthReason, GPAuthError
from gpmc_desktop.gp.errors import GPError, Stage
from gpmc_desktop.gp.http_errors import SBA, SOAP, GPService

USER = "CORP\\svc-gp"
SERVICES = pytest.mark.parametrize("service", [SBA, SOAP], ids=["sba", "soap"])


def status(service: GPService, code: int, **kw: str) -> GPError:
    return http_errors.status_error(
        service, code, what="customers", username=USER, company="TWO",
        not_found=lambda: GPError(Stage.COMPANY, "the source's own 404"), **kw)


@SERVICES
def test_401_is_the_one_refused_credentials_text(service: GPService) -> None:
    err = status(service, 401)
    assert isinstance(err, GPAuthError) and err.reason is AuthReason.WRONG_PASSWORD and err.stage is Stage.AUTH
    assert err.message == f"{REFUSED} {USER}: the password is wrong, or the account is locked or disabled."
    assert err.password_may_help and not err.transient


def test_403_names_the_place_each_service_grants_access() -> None:
    sba, soap = status(SBA, 403), status(SOAP, 403)
    for err in (sba, soap):
        assert err.stage is Stage.ACCESS and not err.transient
        assert err.message == f"{USER} signed in, but GP does not let that user read customers in company 'TWO'."
    assert "User Access Setup" in sba.hint and "Security Console" not in sba.hint
    assert "Dynamics Security Console > Role Assignments" in soap.hint and "User Access Setup" not in soap.hint


@SERVICES
def test_404_is_the_sources_own_verdict(service: GPService) -> None:
    assert status(service, 404).message == "the source's own 404"


@SERVICES
@pytest.mark.parametrize("code", sorted(http_errors.TRANSIENT_STATUSES))
def test_gateway_and_server_failures_are_transient(service: GPService, code: int) -> None:
    err = status(service, code)
    assert err.stage is Stage.SERVER and err.transient
    assert err.message == f"{service.title} failed while returning customers: HTTP {code}."
    assert err.hint == "The sync will try again."


@SERVICES
@pytest.mark.parametrize("code", [400, 405, 501])
def test_other_failures_are_not_retried_and_do_not_promise_a_retry(service: GPService, code: int) -> None:
    err = status(service, code, reason="The request is invalid.")
    assert err.stage is Stage.SERVER and not err.transient
    assert err.message == f"{service.title} failed while returning customers: The request is invalid."
    assert "try again" not in err.hint and "GP administrator" in err.hint


def test_a_log_id_is_named_in_message_and_hint() -> None:
    err = status(SBA, 503, reason="Service restarting", log_id="0f8fad5b-d9cb-469f-a165-70867728950e")
    assert err.log_id == "0f8fad5b-d9cb-469f-a165-70867728950e" and err.transient
    assert err.message == ("The GP server failed while returning customers: Service restarting "
                           "(LogId 0f8fad5b-d9cb-469f-a165-70867728950e).")
    assert err.hint == "Give the LogId to your GP administrator; the sync will try again."


@SERVICES
def test_transport_failures(service: GPService) -> None:
    def transport(exc: requests.exceptions.RequestException) -> GPError:
        return http_errors.transport_error(service, exc, host="gp01:443", what="the company list", timeout=2.5)

    tls = transport(requests.exceptions.SSLError("certificate verify failed"))
    assert tls.stage is Stage.TLS and not tls.transient
    assert tls.message == f"{service.title} at gp01:443 presented a certificate this computer does not trust."
    assert "CA certificate file" in tls.hint
    slow = transport(requests.exceptions.ReadTimeout())
    assert slow.stage is Stage.REACH and not slow.transient  # the same read would take as long again
    assert slow.message == f"{service.title} at gp01:443 did not answer the company list within 2.5 seconds."
    assert "raise timeout_seconds" in slow.hint
    gone = transport(requests.exceptions.ConnectionError("refused"))
    assert gone.stage is Stage.REACH and gone.transient
    assert gone.message == f"Cannot reach {service.name} at gp01:443." and gone.hint == service.reach_hint


def test_a_missing_ca_file_is_named_before_any_request(tmp_path: Path) -> None:
    http_errors.check_ca_file(True)
    present = tmp_path / "ca.pem"
    present.write_text("x", encoding="utf-8")
    http_errors.check_ca_file(str(present))
    with pytest.raises(GPError) as caught:
        http_errors.check_ca_file(str(tmp_path / "gone.pem"))
    assert caught.value.stage is Stage.TLS
    assert caught.value.message == f"The CA certificate file {tmp_path / 'gone.pem'} does not exist."
