"""The OpenAPI 3.0 document of the account API, and the request schemas it holds.

The service validates request bodies against the very schemas published here
(`REQUEST_SCHEMAS`), so the document cannot drift from what the service
accepts; a property-based test (schemathesis) checks the rest of it, every
status code and response body, against the running service.
"""

from typing import Any

from bot.languages import LANGUAGES

Schema = dict[str, Any]

# Printable ASCII without spaces: survives every HTTP stack unchanged.
IDEMPOTENCY_KEY_PATTERN = "^[!-~]{1,255}$"
# PostgreSQL text cannot hold NUL characters, so stored free text refuses them.
_NO_NUL = "^[^\\x00]*$"

_EMAIL: Schema = {"type": "string", "format": "email", "maxLength": 320}
PASSWORD_MAX_LENGTH = 256
MAX_CONVERSATION_ID = 256
ERASURE_MAX_IDS = 20
ERASURE_MAX_EMAILS = 10
_PASSWORD: Schema = {"type": "string", "minLength": 1, "maxLength": PASSWORD_MAX_LENGTH}


def _text(max_length: int) -> Schema:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": _NO_NUL}


def _object(required: list[str], properties: dict[str, Schema]) -> Schema:
    return {"type": "object", "required": required, "properties": properties}


def _error(*codes: str, **extra: Schema) -> Schema:
    return _object(["error"], {"error": {"type": "string", "enum": list(codes)}, **extra})


REQUEST_SCHEMAS: dict[str, Schema] = {
    "NewAccount": _object(
        ["email", "password"],
        {"email": _EMAIL, "password": _PASSWORD},
    ),
    "EmailOnly": _object(["email"], {"email": _EMAIL}),
    "NewSupportTicket": _object(
        ["topic", "channel", "conversation_id", "language", "summary"],
        {
            "topic": _text(100),
            "channel": _text(64),
            "conversation_id": _text(256),
            "email": _EMAIL,
            "language": {"type": "string", "enum": list(LANGUAGES)},
            "summary": _text(4000),
        },
    ),
    "AnswerByEmail": _object([], {"email": _EMAIL}),
    "Erasure": _object(
        [],
        {
            # Bounded so that the largest body stays under the service's 64 KiB request limit.
            "conversation_ids": {
                "type": "array",
                "maxItems": ERASURE_MAX_IDS,
                "items": _text(MAX_CONVERSATION_ID),
            },
            "emails": {"type": "array", "maxItems": ERASURE_MAX_EMAILS, "items": _EMAIL},
        },
    ),
}

_TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
_TICKET_ID: Schema = {"type": "string", "pattern": "^[A-Z0-9]{10}$"}

_COUNT: Schema = {"type": "integer", "minimum": 0}
_RESPONSE_SCHEMAS: dict[str, Schema] = {
    "Erased": _object(
        ["support_tickets", "outbox_emails", "links", "idempotency_keys", "limit_records"],
        {
            "support_tickets": _COUNT,
            "outbox_emails": _COUNT,
            "links": _COUNT,
            "idempotency_keys": _COUNT,
            "limit_records": _COUNT,
        },
    ),
    "Account": _object(["email", "created_at"], {"email": {"type": "string"}, "created_at": _TIMESTAMP}),
    "Accepted": _object(["status"], {"status": {"type": "string", "enum": ["accepted"]}}),
    "TicketCreated": _object(["id"], {"id": _TICKET_ID}),
    "SupportTicket": _object(
        ["id", "topic", "channel", "conversation_id", "language", "summary", "created_at"],
        {
            "id": _TICKET_ID,
            "topic": {"type": "string"},
            "channel": {"type": "string"},
            "conversation_id": {"type": "string"},
            "email": {"type": "string"},
            "language": {"type": "string", "enum": list(LANGUAGES)},
            "summary": {"type": "string", "description": "Credentials are redacted before storage."},
            "created_at": _TIMESTAMP,
            "answer_by": {
                "type": "string",
                "enum": ["email"],
                "description": "Set when the customer asked for the answer by email instead of the chat.",
            },
            "answer_email": {"type": "string", "description": "Where the customer wants that answer."},
        },
    ),
    "AnswerRecorded": _object(
        ["id", "answer_by"], {"id": _TICKET_ID, "answer_by": {"type": "string", "enum": ["email"]}}
    ),
    "OutboxEmail": _object(
        ["to", "from", "kind", "subject", "created_at", "link"],
        {
            "to": {"type": "string"},
            "from": {"type": "string", "enum": ["noreply@parallels.com", "no-reply@parallels.com"]},
            "kind": {"type": "string", "enum": ["password_reset", "device_confirmation"]},
            "subject": {"type": "string"},
            "created_at": _TIMESTAMP,
            "link": {"type": "string", "format": "uri"},
        },
    ),
    "Health": _object(["status"], {"status": {"type": "string", "enum": ["ok"]}}),
    "InvalidRequest": _error("invalid_request"),
    "Unauthorized": _error("unauthorized"),
    "NotFound": _error("not_found"),
    "InvalidEmail": _error("invalid_email"),
    "RegistrationRefused": _error("invalid_email", "password_too_common", "idempotency_key_reused"),
    "RequestRefused": _error("invalid_email", "idempotency_key_reused"),
    "TicketRefused": _error("invalid_email", "idempotency_key_reused"),
    "EmailConflict": _error(
        "email_in_use",
        "email_recently_deleted",
        days_left={
            "type": "integer",
            "minimum": 1,
            "description": "Only with email_recently_deleted: days before the address may be reused.",
        },
    ),
    "RateLimited": _object(
        ["error", "retry_after"],
        {
            "error": {"type": "string", "enum": ["rate_limited"]},
            "retry_after": {"type": "integer", "minimum": 1},
        },
    ),
}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema_name: str, headers: Schema | None = None) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }
    if headers:
        response["headers"] = headers
    return response


def _html(description: str) -> Schema:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


_BAD_REQUEST = _json("Malformed body or parameters.", "InvalidRequest")
_UNAUTHORIZED = _json(
    "Missing or wrong bearer token.",
    "Unauthorized",
    {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
)
_RATE_LIMITED = _json(
    "This conversation asked for too many emails in the last hour.",
    "RateLimited",
    {
        "Retry-After": {
            "description": "Seconds until a request for this address will be accepted.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
)
_IDEMPOTENCY_KEY: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Repeating a POST with the same key returns the first successful response and "
        "does nothing twice; the same key with a different request answers 422 idempotency_key_reused."
    ),
    "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
}


_CONVERSATION_ID: Schema = {
    "name": "X-Conversation-Id",
    "in": "header",
    "required": False,
    "description": (
        "The conversation asking (sent by the assistant's action server). One conversation may ask "
        "for a limited number of emails an hour (429 beyond it); no other caller is refused."
    ),
    "schema": {"type": "string", "maxLength": MAX_CONVERSATION_ID},
}


def _body(schema_name: str) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _email_request(summary: str, email_kind: str) -> Schema:
    return {
        "post": {
            "operationId": f"request_{email_kind}",
            "summary": summary,
            "description": (
                "Answers 202 for every well-formed address, with an identical response whether or not "
                f"an account exists; the {email_kind.replace('_', ' ')} email is queued only for an "
                "existing account, and at most once per address in the resend window (a repeat "
                "inside it is answered alike and sends nothing: the email already sent still works)."
            ),
            "parameters": [_IDEMPOTENCY_KEY, _CONVERSATION_ID],
            "requestBody": _body("EmailOnly"),
            "responses": {
                "202": _json("Accepted.", "Accepted"),
                "400": _BAD_REQUEST,
                "401": _UNAUTHORIZED,
                "422": _json("Not an email address, or a reused idempotency key.", "RequestRefused"),
                "429": _RATE_LIMITED,
            },
        }
    }


def _paths() -> Schema:
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness check.",
                "security": [],
                "responses": {"200": _json("The service is up.", "Health")},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi_document",
                "summary": "This document.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.0 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/v1/accounts": {
            "post": {
                "operationId": "create_account",
                "summary": "Register an account.",
                "parameters": [_IDEMPOTENCY_KEY],
                "requestBody": _body("NewAccount"),
                "responses": {
                    "201": {
                        **_json("Created.", "Account"),
                        "links": {
                            "DeleteAccount": {
                                "operationId": "delete_account",
                                "parameters": {"email": "$response.body#/email"},
                            }
                        },
                    },
                    "400": _BAD_REQUEST,
                    "401": _UNAUTHORIZED,
                    "409": _json(
                        "The address is in use, or was deleted within the cooldown.", "EmailConflict"
                    ),
                    "422": _json(
                        "Not an email address, a too common password, or a reused idempotency key.",
                        "RegistrationRefused",
                    ),
                },
            }
        },
        "/v1/accounts/{email}": {
            "delete": {
                "operationId": "delete_account",
                "summary": "Delete an account; the address may be registered again after the cooldown.",
                "description": "Also answers 204 when no account exists, so a deletion reveals nothing.",
                "parameters": [{"name": "email", "in": "path", "required": True, "schema": _EMAIL}],
                "responses": {
                    "204": {"description": "Deleted (or nothing to delete)."},
                    "401": _UNAUTHORIZED,
                    "422": _json("Not an email address.", "InvalidEmail"),
                },
            }
        },
        "/v1/password-resets": _email_request("Send a password reset email.", "password_reset"),
        "/v1/device-confirmations": _email_request(
            "Send a device/browser confirmation email.", "device_confirmation"
        ),
        "/v1/support-tickets": {
            "post": {
                "operationId": "open_support_ticket",
                "summary": "Open a ticket for the support team.",
                "parameters": [_IDEMPOTENCY_KEY],
                "requestBody": _body("NewSupportTicket"),
                "responses": {
                    "201": {
                        **_json("Created.", "TicketCreated"),
                        "links": {
                            "GetSupportTicket": {
                                "operationId": "get_support_ticket",
                                "parameters": {"id": "$response.body#/id"},
                            }
                        },
                    },
                    "400": _BAD_REQUEST,
                    "401": _UNAUTHORIZED,
                    "422": _json("Not an email address, or a reused idempotency key.", "TicketRefused"),
                },
            }
        },
        "/v1/support-tickets/{id}/answer-by-email": {
            "post": {
                "operationId": "record_answer_by_email",
                "summary": "Record that the ticket's customer wants the answer by email.",
                "description": (
                    "With `email`, the address to answer at (replacing one recorded before); without "
                    "it, an address recorded before is kept. Accounts are not looked at: the answer "
                    "is the same whether or not the address has one."
                ),
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _IDEMPOTENCY_KEY,
                ],
                "requestBody": _body("AnswerByEmail"),
                "responses": {
                    "200": _json("Recorded.", "AnswerRecorded"),
                    "400": _BAD_REQUEST,
                    "401": _UNAUTHORIZED,
                    "404": _json("No such ticket.", "NotFound"),
                    "422": _json("Not an email address, or a reused idempotency key.", "TicketRefused"),
                },
            }
        },
        "/v1/support-tickets/{id}": {
            "get": {
                "operationId": "get_support_ticket",
                "summary": "Read a ticket.",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _json("The ticket.", "SupportTicket"),
                    "401": _UNAUTHORIZED,
                    "404": _json("No such ticket.", "NotFound"),
                },
            }
        },
        "/v1/erasures": {
            "post": {
                "operationId": "erase",
                "summary": "Erase what the service keeps about conversations and addresses.",
                "description": (
                    "Deletes the support tickets of the conversations or addresses, the emails "
                    "queued to the addresses and their links, the idempotency keys of the conversations "
                    "(keys that "
                    "begin with the SHA-256 hex digest of the conversation id and ':', as the "
                    "assistant sends them) and their rate-limit records. Erasing again finds "
                    "nothing; the answer counts what was deleted."
                ),
                "requestBody": _body("Erasure"),
                "responses": {
                    "200": _json("What was deleted.", "Erased"),
                    "400": _BAD_REQUEST,
                    "401": _UNAUTHORIZED,
                    "422": _json("Not an email address.", "InvalidEmail"),
                },
            }
        },
        "/v1/outbox": {
            "get": {
                "operationId": "list_outbox",
                "summary": "Emails sent to an address, oldest first (development only).",
                "description": "Served only when ACCOUNT_DEV_OUTBOX=1; 404 otherwise.",
                "parameters": [{"name": "to", "in": "query", "required": True, "schema": _EMAIL}],
                "responses": {
                    "200": {
                        "description": "The emails.",
                        "content": {
                            "application/json": {"schema": {"type": "array", "items": _ref("OutboxEmail")}}
                        },
                    },
                    "400": _BAD_REQUEST,
                    "401": _UNAUTHORIZED,
                    "404": _json("The outbox is switched off.", "NotFound"),
                    "422": _json("Not an email address.", "InvalidEmail"),
                },
            }
        },
        "/links/{token}": {
            "get": {
                "operationId": "open_link",
                "summary": "The page an emailed link opens; it works once, until it expires.",
                "description": (
                    "Opening changes nothing (mail scanners open links too): a device confirmation "
                    "shows a button that confirms it with a POST; a password reset shows a form to "
                    "choose a new password."
                ),
                "security": [],
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": _html("The link worked."),
                    "410": _html("The link was used already, expired, or never existed."),
                },
            },
            "post": {
                "operationId": "use_link",
                "summary": "Uses the link once: confirms the device, or sets the new password.",
                "description": "A password reset needs the form's `password`; a device confirmation nothing.",
                "security": [],
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": _object([], {"password": _PASSWORD})}
                    },
                },
                "responses": {
                    "200": _html("The device was confirmed, or the password was changed."),
                    "400": _html("The form was malformed."),
                    "410": _html("The form was used already, expired, or never existed."),
                    "422": _html("The password was refused; the form is shown again."),
                },
            },
        },
        "/dev/outbox": {
            "get": {
                "operationId": "outbox_page",
                "summary": "Every email sent, newest first (development only).",
                "description": (
                    "Served only when ACCOUNT_DEV_OUTBOX=1 (404 otherwise), to holders of the API "
                    "token: as a bearer token, or as the password of HTTP Basic authentication so "
                    "that a browser can ask for it."
                ),
                "security": [{"bearerAuth": []}, {"basicAuth": []}],
                "responses": {
                    "200": _html("The outbox."),
                    "401": _UNAUTHORIZED,
                    "404": _json("The outbox is switched off.", "NotFound"),
                },
            }
        },
    }


def openapi_document(server_url: str) -> Schema:
    """The whole OpenAPI 3.0 document, with `server_url` as its server."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Parallels account API (reference service)",
            "version": "1.0.0",
            "description": (
                "Every /v1 call needs 'Authorization: Bearer <token>'. Errors are JSON "
                '{"error": "..."}. Reset and confirmation requests answer alike whether or not an '
                "account exists; an address gets at most one email of a kind per resend window, and "
                "one conversation a limited number an hour."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "basicAuth": {"type": "http", "scheme": "basic"},
            },
            "schemas": {**REQUEST_SCHEMAS, **_RESPONSE_SCHEMAS},
        },
    }
