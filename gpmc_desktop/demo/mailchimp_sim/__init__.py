"""A local Mailchimp Marketing API v3 for the built-in demo and the tests (reference: mailchimp-api.md §4).

    with MailchimpSimulator(api_keys=[key], dc="us6", cache_dir=tmp) as sim:
        requests.get(sim.api_base + "/ping", auth=("any", key))
"""

from .account_setup import DEMO_LIST_ID, DEMO_LIST_NAME
from .auth import demo_key
from .batch_faults import BatchFault
from .config import SimConfig
from .contract import ContractValidator, load_fixed_document, shared_validator
from .faults import FaultMix
from .server import MailchimpSimulator
from .state import ContractViolation, subscriber_hash

__all__ = [
    "DEMO_LIST_ID",
    "DEMO_LIST_NAME",
    "BatchFault",
    "ContractValidator",
    "ContractViolation",
    "FaultMix",
    "MailchimpSimulator",
    "SimConfig",
    "demo_key",
    "load_fixed_document",
    "shared_validator",
    "subscriber_hash",
]
