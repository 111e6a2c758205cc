"""The GP customer fields marketing segments by, beyond the contact's name, address and phone: the salesperson,
the sales territory, the price level, the payment terms and the customer card's two user-defined fields.

GP keeps them on the customer (RM00101: SLPRSNID, SALSTERR, PRCLEVEL, PYMTRMID, USERDEF1, USERDEF2) and copies the
salesperson, territory and user-defined fields onto each address (RM00102: ``on_address``).  The Web Services hold
them where the WSDL puts them: PriceLevelKey and PaymentTermsKey on the Customer; SalespersonKey,
SalesTerritoryKey, UserDefined1 and UserDefined2 on each CustomerAddress (read from the primary one).  No published
SBA sample shows them: the SBA reader looks for the names below on the customer, then (the ``on_address`` ones) on
its primary address; a server that sends none of them simply has nothing of this kind to offer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerField:
    key: str  # its name in the sync (and in a profile)
    label: str  # what GP's customer card calls it
    sba: str  # the key on an SBA customer, or on its primary address
    soap: tuple[str, ...]  # the path in the Web Services' Customer, or (on_address) in its primary CustomerAddress
    on_address: bool  # GP keeps a copy on each address


CUSTOMER_FIELDS = (
    CustomerField("salesperson", "Salesperson", "SalespersonId", ("SalespersonKey", "Id"), on_address=True),
    CustomerField("sales_territory", "Sales territory", "SalesTerritoryId", ("SalesTerritoryKey", "Id"),
                  on_address=True),
    CustomerField("price_level", "Price level", "PriceLevelId", ("PriceLevelKey", "Id"), on_address=False),
    CustomerField("payment_terms", "Payment terms", "PaymentTermsId", ("PaymentTermsKey", "Id"),
                  on_address=False),
    CustomerField("user_defined_1", "User-defined 1", "UserDefined1", ("UserDefined1",), on_address=True),
    CustomerField("user_defined_2", "User-defined 2", "UserDefined2", ("UserDefined2",), on_address=True),
)
SBA_NAMES = tuple(f.sba for f in CUSTOMER_FIELDS)
SBA_ADDRESS_NAMES = tuple(f.sba for f in CUSTOMER_FIELDS if f.on_address)
