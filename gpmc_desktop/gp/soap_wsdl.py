"""Microsoft's Web Services for Dynamics GP contract (``DynamicsGP.wsdl``), parsed by zeep once per process.

The SOAP source and the SOAP simulator both build and read every message with this one parse, so neither
hand-writes an envelope and a message one side accepts is a message the contract accepts.  zeep parses the
1.7 MB, 367-operation document in about half a second (``Contract.load_seconds``); a process pays that once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from lxml import etree
from zeep import Settings
from zeep.transports import Transport
from zeep.wsdl import Document
from zeep.wsdl.definitions import Operation

from gpmc_desktop.resources import contract_path

log = logging.getLogger(__name__)

WSDL_NAME = "DynamicsGP.wsdl"
GP_NS = "http://schemas.microsoft.com/dynamics/gp/2006/01"  # business objects, operations, criteria
DYN_NS = "http://schemas.microsoft.com/dynamics/2006/01"  # Context, CompanyKey
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
BINDING = f"{{{GP_NS}}}LegacyDynamicsGP"
DEFAULT_SOAP_PATH = "/DynamicsGPWebServices/DynamicsGPService.asmx"  # the legacy (ASMX-compatible) endpoint
SYSTEM_FAULT_TEXT = (
    "The application encountered an unhandled system exception. Contact your system administrator for details."
)


@dataclass(frozen=True)
class Contract:
    document: Document
    load_seconds: float
    enumerations: dict[str, frozenset[str]]

    @property
    def settings(self) -> Settings:
        return self.document.settings

    def type(self, name: str, namespace: str = GP_NS) -> Any:
        return self.document.types.get_type(f"{{{namespace}}}{name}")

    def operation(self, name: str) -> Operation:
        """The bound operation (zeep raises ``ValueError`` for a name the contract does not have)."""
        return self.document.bindings[BINDING].get(name)

    def has_operation(self, name: str) -> bool:
        try:
            self.operation(name)
        except ValueError:
            return False
        return True

    def soap_action(self, name: str) -> str:
        return str(self.operation(name).soapaction)

    def enumeration(self, name: str) -> frozenset[str]:
        """The allowed values of an enumerated simple type (zeep keeps no facets, so read them from the file)."""
        return self.enumerations.get(name, frozenset())


_lock = threading.Lock()
_contract: Contract | None = None


def contract() -> Contract:
    """The process-wide parse.  Not strict: a newer GP may add elements to its answers, and a reader that
    refuses them would break on every upgrade.  The simulator turns strictness on for the requests it parses."""
    global _contract
    with _lock:
        if _contract is None:
            started = time.perf_counter()
            loader = Transport()  # only reads the local file; closed right away
            try:
                document = Document(str(contract_path(WSDL_NAME)), loader, settings=Settings(strict=False))
            finally:
                loader.session.close()
            _contract = Contract(document, time.perf_counter() - started, _enumerations())
            log.info("parsed %s in %.2f s", WSDL_NAME, _contract.load_seconds)
        return _contract


def _enumerations() -> dict[str, frozenset[str]]:
    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = etree.parse(str(contract_path(WSDL_NAME)), etree.XMLParser(resolve_entities=False, no_network=True))
    out: dict[str, frozenset[str]] = {}
    for node in tree.iter(f"{xs}simpleType"):
        values = [e.get("value") or "" for e in node.iter(f"{xs}enumeration")]
        if node.get("name") and values:
            out[str(node.get("name"))] = frozenset(values)
    return out
