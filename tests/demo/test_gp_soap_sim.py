"""The GP Web Services (SOAP) simulator over real sockets: WSDL, NTLM, strict request parsing, cap, roles, faults.

Requests here are written by hand on purpose (the client tests use zeep): they show what the simulator accepts
and what it refuses, independently of the client.
"""

from __future__ import annotations

import pytest
import requests
from lxml import etree
from requests_ntlm import HttpNtlmAuth

from gpmc_desktop.demo.gp_model import GPDataset
from gpmc_desktop.demo.gp_sba import GPSimulator
from gpmc_desktop.demo.gp_soap import WSDL_PATH, GPSoapSimulator
from gpmc_desktop.gp.soap_wsdl import GP_NS, SOAP_ENV_NS, SYSTEM_FAULT_TEXT
from tests.simulators import GPSim

PW = "Soap:Sim-Pa55!"
GP_SIM = GPSim(users=[("CORP", "svc-gp", PW, {"*"}), ("CORP", "two-only", PW, {"TWO"})], customers=60, seed=5)
ACTION = "http://schemas.microsoft.com/dynamics/gp/2006/01/"
ENVELOPE = """<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:gp="http://schemas.microsoft.com/dynamics/gp/2006/01" xmlns:dyn="http://schemas.microsoft.com/dynamics/2006/01"
    xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <s:Body><gp:{op}>{payload}<gp:context>
      <dyn:OrganizationKey i:type="dyn:CompanyKey"><dyn:Id>{company}</dyn:Id></dyn:OrganizationKey>
      <dyn:CurrencyType>Transactional</dyn:CurrencyType></gp:context></gp:{op}></s:Body></s:Envelope>"""
MODIFIED = """<gp:ModifiedDate><gp:EqualValue i:nil="true"/><gp:NotEqualValue i:nil="true"/>
    <gp:From>{frm}</gp:From><gp:To i:nil="true"/><gp:GreaterThan i:nil="true"/><gp:LessThan i:nil="true"/>
    </gp:ModifiedDate>"""


def call(sim: GPSoapSimulator, op: str, payload: str = "", *, company: str = "-1", user: str = "CORP\\svc-gp",
         password: str = PW, action: str | None = None, body: str | None = None) -> requests.Response:
    s = requests.Session()
    s.auth = HttpNtlmAuth(user, password)
    data = body if body is not None else ENVELOPE.format(op=op, payload=payload, company=company)
    return s.post(sim.endpoint_url, data=data.encode("utf-8"), timeout=30, headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action or ACTION + op}"'})


def customer_list(sim: GPSoapSimulator, criteria: str = "", **kw: str) -> requests.Response:
    return call(sim, "GetCustomerList", f"<gp:criteria>{criteria}<gp:Scope>Return All</gp:Scope></gp:criteria>", **kw)


def ids(resp: requests.Response, tag: str = "CustomerSummary") -> list[str]:
    assert resp.status_code == 200, resp.text[:500]
    root = etree.fromstring(resp.content)
    return [(e.findtext(f"{{{GP_NS}}}Key/{{{GP_NS}}}Id") or "").strip() for e in root.iter(f"{{{GP_NS}}}{tag}")]


def fault(resp: requests.Response) -> tuple[str, str, str]:
    """(faultcode, faultstring, LogId) of a SOAP 1.1 fault answer."""
    assert resp.status_code == 500, resp.text[:300]
    assert resp.headers["Content-Type"].startswith("text/xml")
    node = etree.fromstring(resp.content).find(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault")
    assert node is not None
    return node.findtext("faultcode") or "", node.findtext("faultstring") or "", \
        (node.findtext(f"detail/{{{GP_NS}}}LogId") or "")


def test_wsdl_is_served_at_both_addresses_with_this_endpoint(gp_soap: GPSoapSimulator) -> None:
    for url in (gp_soap.wsdl_url, gp_soap.endpoint_url + "?wsdl"):
        r = requests.get(url, timeout=30)
        assert r.status_code == 200
        root = etree.fromstring(r.content)
        address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
        assert address is not None and address.get("location") == gp_soap.endpoint_url
    assert gp_soap.wsdl_url.endswith(WSDL_PATH)


def test_ntlm_is_required_and_a_wrong_password_is_refused(gp_soap: GPSoapSimulator) -> None:
    r = requests.post(gp_soap.endpoint_url, data=b"<x/>", timeout=30, headers={"Content-Type": "text/xml"})
    assert r.status_code == 401
    assert {"NTLM", "Negotiate"} <= {v.strip() for v in r.headers["WWW-Authenticate"].split(",")}
    assert customer_list(gp_soap, password="wrong").status_code == 401
    assert ids(customer_list(gp_soap))  # the right one works


def test_companies_list_every_company_with_its_integer_id(gp_soap: GPSoapSimulator, gp_dataset: GPDataset) -> None:
    r = call(gp_soap, "GetCompanyList", "<gp:criteria/>", body=None)
    root = etree.fromstring(r.content)
    got = {int(e.findtext(f"{{{GP_NS}}}Key/{{http://schemas.microsoft.com/dynamics/2006/01}}Id") or 0):
           (e.findtext(f"{{{GP_NS}}}Name") or "").strip() for e in root.iter(f"{{{GP_NS}}}Company")}
    assert got == {c.company.cmpanyid: c.name for c in gp_dataset.companies.values()}


def test_lists_are_summaries_in_key_order_and_stop_at_the_cap(gp_soap: GPSoapSimulator, gp_dataset: GPDataset) -> None:
    everyone = ids(customer_list(gp_soap))
    assert everyone == sorted(k.strip() for k in gp_dataset.companies["TWO"].customers)
    gp_soap.set_options(list_cap=10)
    assert ids(customer_list(gp_soap)) == everyone[:10]  # the first N by key, nothing says there are more
    body = customer_list(gp_soap).text
    assert "EmailToAddress" not in body and "Line1" not in body  # summaries carry no e-mail or address


def test_modified_date_criteria_select_by_gp_date(gp_soap: GPSoapSimulator, gp_dataset: GPDataset) -> None:
    rows = gp_dataset.companies["TWO"].customers.values()
    day = sorted(c.modifdt for c in rows)[len(rows) // 2]
    got = ids(customer_list(gp_soap, MODIFIED.format(frm=f"{day.isoformat()}T00:00:00")))
    assert got == sorted(c.custnmbr.strip() for c in rows if c.modifdt >= day)
    assert 0 < len(got) < len(rows)


def test_invoice_objects_carry_balance_and_void_state(gp_soap: GPSoapSimulator, gp_dataset: GPDataset) -> None:
    data = gp_dataset.companies["TWO"]
    voided = next(r for r, _ in data.documents() if r.rmdtypal == 1 and r.voidstts)
    r = call(gp_soap, "GetReceivablesInvoiceByKey", f"<gp:key><gp:Id>{voided.docnumbr.strip()}</gp:Id></gp:key>")
    root = etree.fromstring(r.content)
    assert root.findtext(f".//{{{GP_NS}}}IsVoided") == "true"
    assert root.find(f".//{{{GP_NS}}}CurrentDocumentAmount/{{{GP_NS}}}Value") is not None
    summaries = call(gp_soap, "GetReceivablesInvoiceList", "<gp:criteria><gp:Scope>Return All</gp:Scope></gp:criteria>")
    assert "IsVoided" not in summaries.text and "CurrentDocumentAmount" not in summaries.text
    assert len(ids(summaries, "ReceivablesInvoiceSummary")) == sum(1 for r, _ in data.documents() if r.rmdtypal == 1)


@pytest.mark.parametrize(("name", "body"), [
    ("not XML", "<s:Envelope"),
    ("unknown member", ENVELOPE.format(op="GetCustomerList", company="-1",
                                       payload="<gp:criteria><gp:Colour>red</gp:Colour></gp:criteria>")),
    ("wrong type", ENVELOPE.format(op="GetCustomerList", company="minus one", payload="<gp:criteria/>")),
    ("bad date", ENVELOPE.format(op="GetCustomerList", company="-1",
                                 payload=f"<gp:criteria>{MODIFIED.format(frm='last week')}</gp:criteria>")),
    ("unknown enumeration", ENVELOPE.format(op="GetCustomerList", company="-1",
                                            payload="<gp:criteria><gp:Scope>Everyone</gp:Scope></gp:criteria>")),
    ("no xsi:type on the abstract key", ENVELOPE.format(op="GetCustomerList", company="-1", payload="<gp:criteria/>")
     .replace(' i:type="dyn:CompanyKey"', "")),
    ("wrong namespace", ENVELOPE.format(op="GetCustomerList", company="-1", payload="<gp:criteria/>")
     .replace('xmlns:gp="http://schemas.microsoft.com/dynamics/gp/2006/01"', 'xmlns:gp="urn:other"')),
])
def test_a_malformed_envelope_is_refused_loudly_and_recorded(gp_soap: GPSoapSimulator, name: str, body: str) -> None:
    before = len(gp_soap.rejected)
    code, text, log_id = fault(call(gp_soap, "GetCustomerList", body=body))
    assert code == "s:Client", name
    assert text and log_id
    assert len(gp_soap.rejected) == before + 1
    assert gp_soap.rejected[-1]["reason"] == text


def test_soap_action_must_match_the_operation(gp_soap: GPSoapSimulator) -> None:
    code, text, _ = fault(customer_list(gp_soap, action=ACTION + "GetCustomerByKey"))
    assert code == "s:Client" and "SOAPAction" in text


def test_a_missing_role_is_gps_generic_fault_with_a_logid(gp_soap: GPSoapSimulator) -> None:
    gp_soap.deny("CORP\\svc-gp", "Query Customers")
    code, text, log_id = fault(customer_list(gp_soap))
    assert (code, text) == ("s:Server", SYSTEM_FAULT_TEXT)  # the caller learns nothing more...
    entry = gp_soap.logged(log_id)
    assert entry is not None and "Query Customers" in entry["Detail"]  # ...the exception log does
    assert ids(call(gp_soap, "GetReceivablesInvoiceList", "<gp:criteria><gp:Scope>Return All</gp:Scope></gp:criteria>"),
               "ReceivablesInvoiceSummary")  # other roles still work


def test_company_access_and_unknown_company(gp_soap: GPSoapSimulator) -> None:
    assert fault(customer_list(gp_soap, company="2", user="CORP\\two-only"))[1] == SYSTEM_FAULT_TEXT
    code, text, _ = fault(customer_list(gp_soap, company="99"))
    assert code == "s:Server" and "99" in text


def test_injected_faults_and_validation_results(gp_soap: GPSoapSimulator) -> None:
    gp_soap.fail_next(1, operation="GetCustomerList", message="Customer data is locked by another user.")
    _, text, log_id = fault(customer_list(gp_soap))
    assert text == "Customer data is locked by another user."
    r = call(gp_soap, "GetLoggedValidationResultByKey", f"<gp:logId>{log_id}</gp:logId>")
    assert r.status_code == 200
    gp_soap.fail_next(1, status=503)
    unavailable = customer_list(gp_soap)
    assert unavailable.status_code == 503 and "Retry-After" not in unavailable.headers
    gp_soap.fail_next(1, status=503, retry_after=12)
    assert customer_list(gp_soap).headers["Retry-After"] == "12"
    assert ids(customer_list(gp_soap))


def test_serves_the_same_data_set_as_the_sba_simulator_at_once(gp_sba: GPSimulator, gp_soap: GPSoapSimulator) -> None:
    # Same users in the process-wide NTLM user file: both simulators run side by side.
    s = requests.Session()
    s.auth = HttpNtlmAuth("CORP\\svc-gp", PW)
    rest = s.get(gp_sba.url("Companies(TWO)/Sales/Customers.json"), verify=str(gp_sba.ca_path), timeout=30).json()
    assert sorted(c["CustomerNumber"].strip() for c in rest["Payload"]) == ids(customer_list(gp_soap))
