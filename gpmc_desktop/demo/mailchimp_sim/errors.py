"""Mailchimp's problem-detail errors, with the exact titles and details clients branch on (reference §2.3)."""

from __future__ import annotations

from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8"
ERROR_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"

# Exact detail strings taken from recorded real responses; tests and the sync's error ledger match on them.
DETAIL_KEY_INVALID = "Your API key may be invalid, or you've attempted to access the wrong datacenter."
DETAIL_KEY_MISSING = "Your request did not include an API key."
DETAIL_NOT_FOUND = "The requested resource could not be found."
DETAIL_TOO_MANY = "You have exceeded the limit of 10 simultaneous connections."
DETAIL_PRODUCT_EXISTS = (
    "We were unable to process the request. A product with the provided ID already exists in the account."
)
DETAIL_ORDER_EXISTS = (
    "We were unable to process the request. An order with the provided ID already exists in the account."
)
DETAIL_STORE_EXISTS = (
    "We were unable to process the request. A store with the provided ID already exists in the account."
)
DETAIL_LINE_PRODUCT_MISSING = "A product with the provided ID does not exist in the account for this list."
DETAIL_CAMPAIGN_MISSING = "A campaign with the provided ID does not exist in the account for this list."
DETAIL_CUSTOMER_EMAIL_IMMUTABLE = "An email address may not be changed once a customer is created."
# A store's customers are identified by e-mail: a second id with the same address (R mailchimp/mc-magento#58,
# the detail as reported there; status and title are an assumption).
DETAIL_CUSTOMER_EMAIL_EXISTS = "This customer email already exists"
DETAIL_MERGE_INVALID = "Your merge fields were invalid."
DETAIL_VALIDATION = "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
DETAIL_PENDING_WEBHOOKS = (
    "You have more than 500 pending webhooks. Please wait for some to complete before adding any more batches."
)
MSG_ANYOF = "Data did not match any of the schemas described in anyOf."


def detail_member_exists(email: str) -> str:
    return f"{email} is already a list member. Use PUT to insert or update list members."


def detail_compliance(email: str) -> str:
    return (
        f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review "
        "and cannot be subscribed."
    )


def detail_forgotten(email: str) -> str:
    return (
        f"{email} was permanently deleted and cannot be re-imported. "
        "The contact must re-subscribe to get back on the list."
    )


def detail_fake(email: str) -> str:
    return f"{email} looks fake or invalid, please enter a real email address."


def detail_customer_email_invalid(email: str) -> str:
    return f"{email} is an invalid email address and cannot be imported."


class ApiError(Exception):
    """Raised anywhere in a route; the pipeline turns it into a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or []

    def body(self, request_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": ERROR_TYPE,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": request_id,
        }
        if self.errors is not None:
            doc["errors"] = self.errors
        return doc


def not_found() -> ApiError:
    return ApiError(404, "Resource Not Found", DETAIL_NOT_FOUND)


def bad_request(detail: str) -> ApiError:
    return ApiError(400, "Bad Request", detail)


def invalid_resource(errors: list[dict[str, str]], detail: str = DETAIL_VALIDATION) -> ApiError:
    return ApiError(400, "Invalid Resource", detail, errors=errors)


def method_not_allowed(allowed: list[str]) -> ApiError:
    allow = ", ".join(allowed)
    return ApiError(
        405,
        "Method Not Allowed",
        "The requested method and resource are not compatible. See the Allow header for this resource's "
        "available methods.",
        headers=[("Allow", allow)],
    )


# X-Trigger-Error names (reference §4.1 item 4) and what each forces.
TRIGGERED: dict[str, tuple[int, str, str]] = {
    "APIKeyMissing": (401, "API Key Missing", DETAIL_KEY_MISSING),
    "APIKeyInvalid": (401, "API Key Invalid", DETAIL_KEY_INVALID),
    "Forbidden": (403, "Forbidden", "You don't have permission to access this resource."),
    "UserDisabled": (403, "User Disabled", "This account has been disabled."),
    "ResourceNotFound": (404, "Resource Not Found", DETAIL_NOT_FOUND),
    "InvalidResource": (400, "Invalid Resource", DETAIL_VALIDATION),
    "BadRequest": (400, "Bad Request", "Your request could not be processed."),
    "JSONParseException": (400, "JSON Parse Exception", "We encountered an unspecified JSON parsing error."),
    "MethodNotAllowed": (405, "Method Not Allowed", "The requested method and resource are not compatible."),
    "TooManyRequests": (429, "Too Many Requests", DETAIL_TOO_MANY),
    "InternalServerError": (500, "Internal Server Error", "An unexpected internal error has occurred."),
}
