"""The log file: one per day beside the state database, two weeks kept, secrets masked.

Secrets should never reach a log call in the first place; the filter is the second line of defence: every
secret the process handles is registered, and any record that would contain one is masked before it is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import threading
from collections.abc import Iterable
from pathlib import Path

LOG_NAME = "gpmc.log"
MASK = "********"
MIN_SECRET_LENGTH = 4  # masking 1-3 character strings would shred ordinary words

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def api_key_secrets(key: str | None) -> list[str]:
    """A Mailchimp key and its part before the dash: that part alone is the account's secret (the rest names the
    data centre)."""
    key = (key or "").strip()
    return [s for s in (key, key.split("-", 1)[0]) if s]


def register_api_key(key: str | None) -> None:
    for secret in api_key_secrets(key):
        register_secret(secret)


def registered_secrets() -> list[str]:
    """What this process has registered (the diagnostics bundle masks these too)."""
    with _lock:
        return list(_secrets)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """*text* with every one of *secrets* masked, longest first, so a key is masked whole before its part before
    the dash is looked for; strings shorter than MIN_SECRET_LENGTH are never masked."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def mask(text: str) -> str:
    return mask_secrets(text, registered_secrets())


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message or record.exc_info:
            if record.exc_info:
                # Render the traceback now, masked, so the handler does not re-render the raw one.
                formatter = logging.Formatter()
                masked = f"{masked}\n{mask(formatter.formatException(record.exc_info))}"
                record.exc_info = None
                record.exc_text = None
            record.msg, record.args = masked, None
        return True


def log_dir(data_dir: Path) -> Path:
    return data_dir / "logs"


def setup_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    """Send the ``gpmc_desktop`` loggers to a rotating file under *data_dir*; returns the folder."""
    folder = log_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("gpmc_desktop")
    logger.setLevel(level)
    for handler in list(logger.handlers):
        if getattr(handler, "_gpmc", False):
            logger.removeHandler(handler)
            handler.close()
    handler = logging.handlers.TimedRotatingFileHandler(
        folder / LOG_NAME, when="midnight", backupCount=14, encoding="utf-8", delay=True
    )
    handler._gpmc = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter())
    logger.addHandler(handler)
    return folder
