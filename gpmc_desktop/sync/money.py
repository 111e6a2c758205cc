"""Money in words: an amount in the company's currency with thousands separators ("$4,320.15")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# The currencies GP companies commonly keep, by ISO code; any other shows its code after the amount.
_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
_CENT = Decimal("0.01")


def format_money(amount: Decimal | str | int, currency: str) -> str:
    """*amount* rounded to cents with thousands separators: "$4,320.15", "-£12.00", "1,200.00 CHF"."""
    value = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):,.2f}"
    symbol = _SYMBOLS.get(currency.upper())
    if symbol is None:
        return f"{sign}{digits} {currency.upper()}".rstrip()
    return f"{sign}{symbol}{digits}"
