"""An API key names its data centre: ``<hex>-us6`` talks to ``https://us6.api.mailchimp.com/3.0``."""

from __future__ import annotations

import hashlib
import re

_KEY_RE = re.compile(r"^[0-9a-f]{8,64}-([a-z]+[0-9]+)$")


class BadApiKey(ValueError):
    """The key cannot be a Mailchimp key; the message says where to find the right one."""


def datacenter(api_key: str) -> str:
    match = _KEY_RE.match(api_key.strip())
    if not match:
        raise BadApiKey(
            "That is not a Mailchimp API key: a key looks like 0123456789abcdef0123456789abcdef-us6. "
            "Create one in Mailchimp under Profile > Extras > API keys and paste all of it."
        )
    return match.group(1)


def api_base_for(api_key: str, override: str | None = None) -> str:
    if override:
        return override.rstrip("/")
    return f"https://{datacenter(api_key)}.api.mailchimp.com/3.0"


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: MD5 of the trimmed, lower-cased address."""
    return hashlib.md5(email.strip().lower().encode("utf-8"), usedforsecurity=False).hexdigest()
