"""Validation of every simulator request (and, in strict mode, response) against the vendored ``openapi.yaml``.

Parsing the 1.8 MB YAML takes seconds, so the *fixed* document is cached as JSON under a name keyed by the
spec's sha256 (and by :data:`FIX_VERSION`, so a change to the fixes invalidates old caches), and the validator is
built once per process, lazily and under a lock.  The fixes are the documented defects of the spec when used as
a request validator (reference README): merge-field values declared ``type: object``, YAML-made dates, and
``security`` blocks (the simulator checks keys itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.validation.request.exceptions import MissingRequiredRequestBody, ParameterValidationError
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from gpmc_desktop.resources import contract_path

FIX_VERSION = 1
SPEC_HOST = "https://server.api.mailchimp.com"  # the spec's only server is .../3.0 on this host
_MERGE_TAGS_DESCRIPTION = "This object's keys are merge tags"


@dataclass(frozen=True)
class ContractProblem:
    """One way a request or response departs from the contract."""

    kind: str  # "path", "operation", "parameter", "body" or "response"
    field: str
    message: str


def default_cache_dir() -> Path:
    import platformdirs  # imported here: only needed when no cache dir is passed

    return Path(platformdirs.user_cache_dir("gpmc-desktop", appauthor=False)) / "contracts"


def fix_document(node: Any) -> Any:
    """Return a JSON-safe copy of the spec with the known validator-breaking defects removed."""
    if isinstance(node, dict):
        fixed = {str(k): fix_document(v) for k, v in node.items()}
        extra = fixed.get("additionalProperties")
        if isinstance(extra, dict) and str(extra.get("description", "")).startswith(_MERGE_TAGS_DESCRIPTION):
            # Mailchimp takes strings for text/phone/number tags and an object only for ADDRESS.
            extra.pop("type", None)
        fixed.pop("security", None)
        return fixed
    if isinstance(node, list):
        return [fix_document(v) for v in node]
    if isinstance(node, dt.datetime | dt.date):
        return node.isoformat()
    return node


def load_fixed_document(spec_path: Path | None = None, cache_dir: Path | None = None) -> dict[str, Any]:
    """The fixed spec as a dict, from the JSON cache when it is there, else parsed and cached."""
    spec_path = spec_path or contract_path("openapi.yaml")
    raw = spec_path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    cache_dir = cache_dir or default_cache_dir()
    cache_file = cache_dir / f"mailchimp-openapi-{digest}-fix{FIX_VERSION}.json"
    try:
        return json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = fix_document(yaml.load(raw, Loader=loader))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Write then rename: a concurrent reader sees the old state or the whole file, never half of it.
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh)
        os.replace(tmp, cache_file)
    except OSError:
        pass  # a read-only cache dir only costs speed
    return document


class _Request:
    """The request shape openapi-core reads."""

    def __init__(self, method: str, path: str, query: Mapping[str, list[str]], body: bytes | None) -> None:
        self.host_url = SPEC_HOST
        self.path = "/3.0" + path
        self.method = method.lower()
        self.body = body or None
        self.content_type = "application/json"
        pairs = [(k, v) for k, values in query.items() for v in values]
        self.parameters = RequestParameters(query=ImmutableMultiDict(pairs), header=Headers())


class _Response:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.content_type = "application/json"
        self.headers = Headers()
        self.data = body


@dataclass
class ContractValidator:
    """Lazily built openapi-core validator for one spec file."""

    spec_path: Path | None = None
    cache_dir: Path | None = None
    _api: Any = field(default=None, init=False, repr=False)
    _build_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    # openapi-core does not promise thread safety; a validation takes ~3 ms, so serialising them is cheap.
    _use_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def api(self) -> Any:
        if self._api is None:
            with self._build_lock:
                if self._api is None:
                    document = load_fixed_document(self.spec_path, self.cache_dir)
                    # The spec itself is trusted (checksummed in tests); validating it would take ~10 s.
                    self._api = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))
        return self._api

    def warm_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.api, name="mailchimp-contract-load", daemon=True)
        thread.start()
        return thread

    def check_request(
        self, method: str, path: str, query: Mapping[str, list[str]], body: bytes | None
    ) -> list[ContractProblem]:
        api = self.api()
        request = _Request(method, path, query, body)
        with self._use_lock:
            return [p for exc in api.iter_request_errors(request) for p in _problems(exc)]

    def check_response(
        self, method: str, path: str, query: Mapping[str, list[str]], body: bytes | None, status: int,
        response_body: bytes,
    ) -> list[ContractProblem]:
        api = self.api()
        request = _Request(method, path, query, body)
        with self._use_lock:
            errors = list(api.iter_response_errors(request, _Response(status, response_body)))
        return [ContractProblem("response", f, m) for exc in errors for (_k, f, m) in _flatten(exc)]


def _problems(exc: Exception) -> list[ContractProblem]:
    return [ContractProblem(kind, f, m) for (kind, f, m) in _flatten(exc)]


def _flatten(exc: BaseException) -> Iterable[tuple[str, str, str]]:
    if isinstance(exc, PathNotFound):
        yield "path", "", "Path is not in the contract."
        return
    if isinstance(exc, OperationNotFound):
        yield "operation", "", f"Method {exc.method.upper()} is not in the contract for this path."
        return
    if isinstance(exc, MissingRequiredRequestBody):
        yield "body", "", "A request body is required."
        return
    cause = exc.__cause__
    if isinstance(exc, ParameterValidationError):
        if isinstance(cause, InvalidSchemaValue):
            for err in cause.schema_errors:
                yield "parameter", exc.name, str(getattr(err, "message", err))
        elif isinstance(cause, CastError):
            yield "parameter", exc.name, f"{cause.value!r} is not a valid {cause.type}."
        else:
            yield "parameter", exc.name, str(exc)
        return
    if isinstance(cause, InvalidSchemaValue):
        for err in cause.schema_errors:
            yield ("body", *_schema_error(err))
        return
    yield "body", "", str(cause or exc)


def _schema_error(err: Any) -> tuple[str, str]:
    """Map a jsonschema error onto Mailchimp's ``{field, message}`` (dotted path, its wording for required)."""
    where = ".".join(str(p) for p in getattr(err, "absolute_path", []))
    if getattr(err, "validator", None) == "required":
        missing = str(err.message).split("'")[1] if "'" in str(err.message) else str(err.message)
        return where, f"Required fields were not provided: {missing}"
    return where, str(getattr(err, "message", err))


_shared: dict[Path | None, ContractValidator] = {}
_shared_lock = threading.Lock()


def shared_validator(spec_path: Path | None = None, cache_dir: Path | None = None) -> ContractValidator:
    """One validator per spec file per process: every simulator instance reuses the loaded spec."""
    with _shared_lock:
        validator = _shared.get(spec_path)
        if validator is None:
            validator = _shared[spec_path] = ContractValidator(spec_path, cache_dir)
        return validator
