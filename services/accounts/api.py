"""The JSON API (`/v1`), the health check and the OpenAPI document.

The contract lives in `services.accounts.openapi`; these handlers only translate
between HTTP and the modules that do the work. Reset and confirmation
requests answer 202 before any email work starts (the email is queued by a
background task), so their responses are the same, in body, headers and
timing, whether or not the address has an account.
"""

import hmac
from datetime import timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty, json

from services.accounts import erasure, links, registry
from services.accounts.errors import ApiError
from services.accounts.idempotency import idempotent
from services.accounts.mail import read_outbox, send_if_account_exists
from services.accounts.openapi import MAX_CONVERSATION_ID, openapi_document
from services.accounts.ratelimit import REQUESTER_HEADER, claim_fresh_email, count_conversation_request
from services.accounts.tickets import ANSWER_BY_EMAIL, answer_by_email, open_ticket, read_ticket
from services.accounts.validation import email_value, json_body

v1 = Blueprint("v1", url_prefix="/v1")
public = Blueprint("public")


@v1.middleware("request")
async def require_token(request: Request) -> None:
    """Lets through only requests carrying the configured bearer token (compared in constant time)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = request.app.ctx.settings.api_token
    valid = hmac.compare_digest(token.strip().encode(), expected.encode())
    if scheme.lower() != "bearer" or not valid:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    if len(request.headers.get(REQUESTER_HEADER, "").strip()) > MAX_CONVERSATION_ID:
        raise ApiError(400, "invalid_request")  # before an idempotent replay could answer


@v1.post("/accounts")
@idempotent
async def create_account(request: Request) -> HTTPResponse:
    body = json_body(request, "NewAccount")
    email = email_value(body["email"])
    try:
        created_at = await registry.register(
            request.app.ctx.engine, email, body["password"], request.app.ctx.settings.reuse_cooldown_days
        )
    except registry.PasswordTooCommon:
        raise ApiError(422, "password_too_common") from None
    except registry.EmailInUse:
        raise ApiError(409, "email_in_use") from None
    except registry.EmailRecentlyDeleted as refusal:
        raise ApiError(409, "email_recently_deleted", {"days_left": refusal.days_left}) from None
    return json({"email": email, "created_at": created_at.isoformat()}, status=201)


# Reading (and ignoring) a body keeps the connection usable when a client sends one.
@v1.delete("/accounts/<email:str>", unquote=True, ignore_body=False)
async def delete_account(request: Request, email: str) -> HTTPResponse:
    registry.delete_account(request.app.ctx.engine, email_value(email))
    return empty()


async def _email_request(request: Request, kind: str) -> HTTPResponse:
    """Applies the limits (services.accounts.ratelimit), answers 202, and only then queues the email.

    Inside the address's resend window nothing is queued, and the answer is the same.
    """
    email = email_value(json_body(request, "EmailOnly")["email"])
    conversation = request.headers.get(REQUESTER_HEADER, "").strip()
    app = request.app
    settings = app.ctx.settings
    with app.ctx.engine.begin() as conn:
        count_conversation_request(conn, conversation, settings.max_requests_per_conversation)
        fresh = claim_fresh_email(conn, email, kind, timedelta(minutes=settings.resend_minutes))
    if fresh:
        app.add_task(send_if_account_exists(app.ctx.engine, settings, email, kind))
    return json({"status": "accepted"}, status=202)


@v1.post("/password-resets")
@idempotent
async def request_password_reset(request: Request) -> HTTPResponse:
    return await _email_request(request, links.PASSWORD_RESET)


@v1.post("/device-confirmations")
@idempotent
async def request_device_confirmation(request: Request) -> HTTPResponse:
    return await _email_request(request, links.DEVICE_CONFIRMATION)


@v1.post("/support-tickets")
@idempotent
async def create_support_ticket(request: Request) -> HTTPResponse:
    fields = json_body(request, "NewSupportTicket")
    if "email" in fields:
        fields["email"] = email_value(fields["email"])
    with request.app.ctx.engine.begin() as conn:
        ticket_id = open_ticket(conn, fields)
    return json({"id": ticket_id}, status=201)


@v1.post("/support-tickets/<ticket_id:str>/answer-by-email", unquote=True)
@idempotent
async def record_answer_by_email(request: Request, ticket_id: str) -> HTTPResponse:
    """The customer wants the ticket answered by email (issue 14): recorded on the ticket."""
    body = json_body(request, "AnswerByEmail")
    email = email_value(body["email"]) if "email" in body else None
    with request.app.ctx.engine.begin() as conn:
        if not answer_by_email(conn, ticket_id, email):
            raise ApiError(404, "not_found")
    return json({"id": ticket_id, "answer_by": ANSWER_BY_EMAIL})


@v1.get("/support-tickets/<ticket_id:str>", unquote=True)
async def get_support_ticket(request: Request, ticket_id: str) -> HTTPResponse:
    with request.app.ctx.engine.begin() as conn:
        ticket = read_ticket(conn, ticket_id)
    if ticket is None:
        raise ApiError(404, "not_found")
    return json(ticket)


@v1.post("/erasures")
async def erase(request: Request) -> HTTPResponse:
    body = json_body(request, "Erasure")
    emails = [email_value(address) for address in body.get("emails", [])]
    with request.app.ctx.engine.begin() as conn:
        return json(erasure.erase(conn, body.get("conversation_ids", []), emails))


@v1.get("/outbox")
async def list_outbox(request: Request) -> HTTPResponse:
    if not request.app.ctx.settings.dev_outbox:
        raise ApiError(404, "not_found")
    recipients = request.get_args(keep_blank_values=True).getlist("to")
    if not recipients:
        raise ApiError(400, "invalid_request")
    email = email_value(recipients[0])
    with request.app.ctx.engine.begin() as conn:
        return json(read_outbox(conn, recipient=email))


@public.get("/health")
async def health(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


@public.get("/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    """The contract, naming as its server the configured public URL (ACCOUNT_PUBLIC_URL).

    Never the request's Host header: a client (or a cache in between) would otherwise follow
    whatever host an attacker's request named.
    """
    return json(openapi_document(request.app.ctx.settings.public_url))
