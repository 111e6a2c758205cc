"""Keep secrets out of the state database.

Passwords and API keys belong in the OS credential store (keyring); the database is a plain file that gets
backed up, copied into support tickets and exported to CSV. Two defences:

* names: refuse to store a setting, JSON key or engine-state key whose name looks like a credential;
* free text: scrub credential-looking substrings from error messages before they are written (an HTTP
  library's error can echo a request URL or header).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Matched against the snake_cased name. Deliberately broad: a false positive costs a rename, a false
# negative leaks a credential. Bare "key" is allowed (gp_key), bare "auth" too (the auth *method*).
_SECRET_NAME = re.compile(
    r"password|passwd|passphrase|(^|_)pass($|_)|(^|_)pwd($|_)|secret|api_?key|apikey|token|credential"
    r"|private_?key|auth_?key|access_?key|session_?key|cookie"
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")

_REDACTED = "[redacted]"
_TEXT_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Mailchimp API keys: 32 hex digits and the data-centre suffix.
    (re.compile(r"\b[0-9a-f]{32}-[a-z]{2,4}\d{1,3}\b", re.IGNORECASE), _REDACTED),
    # Authorization header values.
    (re.compile(r"\b(Basic|Bearer|Negotiate|NTLM|apikey)\s+[A-Za-z0-9+/=._~-]{8,}"), r"\1 " + _REDACTED),
    # name=value / "name": "value" pairs in URLs, JSON or messages.
    (
        re.compile(
            r"(?i)\b((?:password|passwd|pwd|secret|api[_-]?key|apikey|token|access[_-]?key)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"'&,;}]+"
        ),
        r"\1" + _REDACTED,
    ),
    # user:password@host in URLs.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@"), r"\1" + _REDACTED + "@"),
)


class SecretFieldError(ValueError):
    """A caller tried to store something whose name marks it as a credential."""


def normalise_name(name: str) -> str:
    """``apiKey``/``API-Key``/``api_key`` all become ``api_key``."""
    return _NON_WORD.sub("_", _CAMEL_BOUNDARY.sub("_", name).lower()).strip("_")


def looks_secret(name: str) -> bool:
    return _SECRET_NAME.search(normalise_name(name)) is not None


def refuse_secret_names(names: Iterable[str], where: str) -> None:
    """Raise `SecretFieldError` if any of `names` looks like a credential."""
    bad = sorted({n for n in names if looks_secret(n)})
    if bad:
        raise SecretFieldError(
            f"{where}: refusing to store {', '.join(bad)}: credentials go to the OS credential store, "
            "never into the state database"
        )


def refuse_secret_keys(value: object, where: str) -> None:
    """Like `refuse_secret_names`, for every mapping key at any depth of a JSON-like value."""
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            refuse_secret_names((str(k) for k in item), where)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


# One cheap search decides whether the substitutions are worth running (most texts hold no secret).
# Must match wherever any pattern above could; a superset is fine.
_ANY_TEXT_SECRET = re.compile(
    r"(?i)[0-9a-f]{32}-|\b(?:basic|bearer|negotiate|ntlm)\s|apikey|password|passwd|pwd|secret|api[_-]?key"
    r"|token|access[_-]?key|://[^/\s@]+@"
)


def redact(text: str | None) -> str | None:
    """`text` with credential-looking substrings replaced; None and "" pass through."""
    if not text or not _ANY_TEXT_SECRET.search(text):
        return text
    for pattern, replacement in _TEXT_SECRETS:
        text = pattern.sub(replacement, text)
    return text
