"""API-key checks: format, known key, and the data centre (from the key's suffix) against the host and server."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection
from typing import Protocol

from .errors import DETAIL_KEY_INVALID, DETAIL_KEY_MISSING, ApiError

KEY_FORMAT = re.compile(r"^[0-9a-f]+-[a-z]+[0-9]+$")
_MAILCHIMP_HOST = re.compile(r"^([a-z]+[0-9]+)\.api\.mailchimp\.com$")


class HeaderLookup(Protocol):
    """Case-insensitive header access (``http.client.HTTPMessage`` or a dict in tests)."""

    def get(self, name: str, default: None = None) -> str | None: ...


def demo_key(dc: str) -> str:
    """A well-formed key for the demo account (32 hex characters, like real keys)."""
    return f"0123456789abcdef0123456789abcdef-{dc}"


def _key_from(header: str) -> str | None:
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]  # any username; the key is the password
    return None


def check_api_key(headers: HeaderLookup, dc: str | None, valid_keys: Collection[str]) -> ApiError | None:
    """None when the request may proceed, else the 401 to send."""
    header = headers.get("Authorization")
    if not header or not header.strip():
        return ApiError(401, "API Key Missing", DETAIL_KEY_MISSING)
    invalid = ApiError(401, "API Key Invalid", DETAIL_KEY_INVALID)
    key = _key_from(header)
    if not key or not KEY_FORMAT.match(key):
        return invalid
    key_dc = key.rsplit("-", 1)[1]
    host = _MAILCHIMP_HOST.match((headers.get("Host") or "").split(":")[0].lower())
    if host is not None and host.group(1) != key_dc:
        return invalid  # the key belongs to another data centre than the host it was sent to
    if dc is not None and key_dc != dc:
        return invalid  # same check when tests connect to 127.0.0.1: the simulator plays one data centre
    if key not in valid_keys:
        return invalid
    return None
