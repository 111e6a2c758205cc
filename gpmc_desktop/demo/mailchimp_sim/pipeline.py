"""What every API call goes through, live or inside a batch: route, parse, contract check, handler, render.

Transport concerns (auth, the connection limit, faults, latency) stay in ``server.py`` so that batch operations,
which Mailchimp runs internally, skip them while still meeting every rule a live call meets.
"""

from __future__ import annotations

import json
from typing import Any

from ..httpbase import Response
from .contract import ContractValidator
from .errors import PROBLEM_CONTENT_TYPE, ApiError, invalid_resource, method_not_allowed, not_found
from .partial_response import exclude, include_only, parse_names
from .routes_orders import ORDER_TEMPLATE
from .routing import ApiRequest, Reply, Router, SimContext

UNMATCHED = "<unmatched>"
# Known gaps between SPEC90 and the live API, ignored when checking our own responses (reference §1.3, §4.5):
# Mailchimp sends "" for unset timestamps where the spec says date-time.
_RESPONSE_GAPS = ("'' is not a 'date-time'",)


def problem(error: ApiError, request_id: str) -> Response:
    headers = [
        ("X-Request-Id", request_id),
        ("Link", '<https://us1.api.mailchimp.com/schema/3.0/ProblemDetailDocument.json>; rel="describedBy"'),
        *error.headers,
    ]
    body = json.dumps(error.body(request_id)).encode("utf-8")
    return Response(error.status, body, PROBLEM_CONTENT_TYPE, headers)


class Pipeline:
    def __init__(self, ctx: SimContext, router: Router, contract: ContractValidator) -> None:
        self.ctx = ctx
        self.router = router
        self.contract = contract

    def execute(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        raw_body: bytes,
        request_id: str,
        *,
        source: str = "live",
    ) -> Response:
        try:
            return self._execute(method, path, query, raw_body, request_id, source)
        except ApiError as error:
            return problem(error, request_id)
        except Exception as exc:  # a simulator bug: answer like Mailchimp would and keep it for the tests
            with self.ctx.state.lock:
                self.ctx.state.internal_errors.append(f"{method} {path}: {exc!r}")
            error = ApiError(500, "Internal Server Error", "An unexpected internal error has occurred.")
            return problem(error, request_id)

    def _execute(
        self, method: str, path: str, query: dict[str, list[str]], raw_body: bytes, request_id: str, source: str
    ) -> Response:
        state, config = self.ctx.state, self.ctx.config
        resolved = self.router.resolve(path)
        template = resolved[0].template if resolved else UNMATCHED
        with state.lock:
            counts = state.request_counts if source == "live" else state.batch_operation_counts
            counts[(method, template)] += 1
            if template == ORDER_TEMPLATE and method == "PUT":
                # The sync must never send this (reference §1.3); keep every attempt for the test to see.
                state.order_put_attempts.append(
                    {"path": path, "source": source, "allowed": config.allow_order_put, "at": self.ctx.clock.iso()}
                )
        body = self._parse(raw_body)
        if resolved is None:
            self._record_contract(method, path, query, raw_body, source, only_routing=True)
            raise not_found()
        route, params = resolved
        handler = route.handler(method, config)
        if handler is None:
            self._record_contract(method, path, query, raw_body, source, only_routing=True)
            raise method_not_allowed(route.allowed(config))
        if query.get("fields") and query.get("exclude_fields"):
            raise invalid_resource(
                [{"field": "fields", "message": "fields and exclude_fields may not be used together."}],
                detail="You may not use both fields and exclude_fields.",
            )
        if config.count_over_max == "clamp" and query.get("count", ["0"])[0].isdigit():
            query = {**query, "count": [str(min(int(query["count"][0]), 1000))]}
        if config.strict_contract:
            self._record_contract(method, path, query, raw_body, source, only_routing=False)
        request = ApiRequest(method, path, route.template, params, query, body, source,
                             unlimited_page=source == "batch" and method == "GET")
        with state.lock:
            reply = handler(self.ctx, request)
        response = self._render(reply, query, request_id)
        if config.strict_responses and 200 <= reply.status < 300 and reply.payload is not None:
            problems = [p for p in self.contract.check_response(method, path, query, raw_body or None,
                                                                reply.status, response.body)
                        if not any(gap in p.message for gap in _RESPONSE_GAPS)]
            state.record_violations(method, path, problems, source, response=True)
        return response

    @staticmethod
    def _parse(raw_body: bytes) -> Any:
        if not raw_body.strip():
            return None
        try:
            return json.loads(raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            detail = f"We encountered an unspecified JSON parsing error: {exc}."
            raise ApiError(400, "JSON Parse Exception", detail) from exc

    def _record_contract(
        self, method: str, path: str, query: dict[str, list[str]], raw_body: bytes, source: str, *,
        only_routing: bool,
    ) -> None:
        """Check against openapi.yaml; record what fails and, for a routable call, answer 400 with the fields."""
        problems = self.contract.check_request(method, path, query, raw_body or None)
        if only_routing:
            problems = [p for p in problems if p.kind in ("path", "operation")]
        if not problems:
            return
        self.ctx.state.record_violations(method, path, problems, source)
        if not only_routing:
            raise invalid_resource([{"field": p.field, "message": p.message} for p in problems])

    @staticmethod
    def _render(reply: Reply, query: dict[str, list[str]], request_id: str) -> Response:
        headers = [("X-Request-Id", request_id)]
        if reply.payload is None:
            return Response(reply.status, b"", headers=headers)
        payload = reply.payload
        if query.get("fields"):
            payload = include_only(payload, parse_names(query["fields"]))
        elif query.get("exclude_fields"):
            payload = exclude(payload, parse_names(query["exclude_fields"]))
        return Response(reply.status, json.dumps(payload).encode("utf-8"), "application/json; charset=utf-8", headers)
