"""Route table, the request/reply types route handlers see, and the helpers they share (paging)."""

from __future__ import annotations

import random
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .config import SimConfig
from .errors import invalid_resource
from .state import AccountState, SimClock

if TYPE_CHECKING:
    from .batches import BatchRunner

METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass
class ApiRequest:
    method: str
    path: str  # below /3.0
    template: str  # the contract's path template, e.g. /lists/{list_id}
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any  # parsed JSON, None when the request had no body
    source: str = "live"  # "live" or "batch"
    # Batch GETs without ``count`` page through everything (reference §4.4 item 36).
    unlimited_page: bool = False

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "").lower() == "true"

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class Reply:
    status: int
    payload: Any = None  # None means an empty body (204)


@dataclass
class SimContext:
    """Everything a route handler may touch."""

    state: AccountState
    config: SimConfig
    clock: SimClock
    rng: random.Random
    base_url: Callable[[], str]  # scheme://host:port of the running server (batch result URLs)
    batches: BatchRunner | None = None


Handler = Callable[[SimContext, ApiRequest], Reply]
Enabled = Callable[[SimConfig], bool]


@dataclass
class Route:
    template: str
    pattern: re.Pattern[str]
    handlers: dict[str, tuple[Handler, Enabled | None]] = field(default_factory=dict)

    def allowed(self, config: SimConfig) -> list[str]:
        return [m for m in METHOD_ORDER if m in self.handlers and _on(self.handlers[m][1], config)]

    def handler(self, method: str, config: SimConfig) -> Handler | None:
        entry = self.handlers.get(method)
        return entry[0] if entry is not None and _on(entry[1], config) else None


def _on(enabled: Enabled | None, config: SimConfig) -> bool:
    return enabled is None or enabled(config)


class Router:
    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def add(self, method: str, template: str, handler: Handler, enabled: Enabled | None = None) -> None:
        route = self._routes.get(template)
        if route is None:
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            route = self._routes[template] = Route(template, re.compile(f"^{regex}/?$"))
        route.handlers[method] = (handler, enabled)

    def resolve(self, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes.values():
            match = route.pattern.match(path)
            if match:
                return route, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
        return None


def paginate(request: ApiRequest, items: list[Any]) -> list[Any]:
    """The page of *items* that ``count``/``offset`` select (the contract has already checked the numbers)."""
    if request.unlimited_page and request.arg("count") is None:
        return items[int(request.arg("offset") or 0):]
    try:
        count = min(int(request.arg("count") or 10), 1000)
        offset = int(request.arg("offset") or 0)
    except ValueError as exc:  # only reachable with strict_contract off
        raise invalid_resource([{"field": "count", "message": "Must be an integer."}]) from exc
    return items[offset:offset + count]


def collection(request: ApiRequest, key: str, items: list[Any], **extra: Any) -> Reply:
    return Reply(200, {key: paginate(request, items), **extra, "total_items": len(items), "_links": []})


def self_link(path: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"https://server.api.mailchimp.com/3.0{path}", "method": "GET"}]
