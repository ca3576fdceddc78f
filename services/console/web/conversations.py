"""The conversation list, the transcript, review (reviewed, tags, notes, corrections) and exports.

Conversation ids travel as the `id` query or form field, never in the path:
REST sender ids may contain any character, `/` included.
"""

import time
from collections.abc import Callable
from typing import Any

from sanic import Blueprint
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

from services.console import audit, canned, exports, review
from services.console.handoff import AGENT_OUTCOMES
from services.console.queries import Filters, conversation_page, customer_conversations, facets, summary_of
from services.console.review import ReviewError
from services.console.summaries import HANDOFF_STATES, OUTCOMES
from services.console.sync import message_language
from services.console.transcript import read_events, to_items
from services.console.web.common import arg, back_to, form_value, render, user_of
from services.console.windows import reply_window

conversations = Blueprint("conversations")

YAML = "application/x-yaml; charset=utf-8"


def _download(body: str, filename: str) -> HTTPResponse:
    return HTTPResponse(
        body, content_type=YAML, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _summary_or_404(request: Request, conversation_id: str) -> dict[str, Any]:
    summary = summary_of(request.app.ctx.console_db, conversation_id) if conversation_id else None
    if summary is None:
        raise NotFound("no such conversation")
    return summary


def _before(request: Request) -> int | None:
    value = arg(request, "before", 20)
    return int(value) if value.isdigit() else None


@conversations.get("/conversations")
async def conversation_list(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    await ctx.sync_now()
    filters = Filters.from_args(request.args)
    page = conversation_page(ctx.console_db, filters, ctx.settings.page_size, _before(request))
    used = sorted(name for name, values in request.args.items() if name != "before" and any(values))
    if used:
        audit.record(ctx.console_db, user_of(request).username, "search", None, "filters: " + ", ".join(used))
    return render(
        request,
        "conversations.html",
        page=page,
        filters=filters,
        facets=facets(ctx.console_db),
        outcomes=OUTCOMES,
        handoff_states=HANDOFF_STATES,
        first_page=_before(request) is None,
    )


@conversations.get("/conversations/rows")
async def conversation_rows(request: Request) -> HTTPResponse:
    """The first page's rows alone, which the open list re-reads (no full reload)."""
    ctx = request.app.ctx
    await ctx.sync_now()
    page = conversation_page(ctx.console_db, Filters.from_args(request.args), ctx.settings.page_size)
    return render(request, "_conversation_rows.html", page=page)


@conversations.get("/conversations.csv")
async def export_list(request: Request) -> HTTPResponse:
    """The filtered list as CSV: summaries and redacted previews only, "try it" sessions left out."""
    ctx = request.app.ctx
    filters = Filters.from_args(request.args)
    body = exports.list_csv(ctx.console_db, filters)
    audit.record(
        ctx.console_db,
        user_of(request).username,
        "export_csv",
        None,
        f"{max(body.count(chr(10)) - 1, 0)} conversations",
    )
    return HTTPResponse(
        body,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="conversations.csv"'},
    )


def _transcript_context(request: Request, conversation_id: str) -> dict[str, Any]:
    ctx = request.app.ctx
    corrections = review.corrections_of(ctx.console_db, conversation_id)
    items = to_items(read_events(ctx.tracker_db, conversation_id), ctx.settings.low_confidence, corrections)
    return {"items": items, "intents": ctx.intents, "conversation_id": conversation_id}


def transcript_page(
    request: Request, conversation_id: str, error: str = "", status: int = 200
) -> HTTPResponse:
    """The transcript page with the composer and the customer's context; a refused action shows its
    reason here instead of redirecting."""
    ctx = request.app.ctx
    summary = _summary_or_404(request, conversation_id)
    language = summary["language"] or "en"
    return render(
        request,
        "conversation.html",
        status=status,
        summary=summary,
        notes=review.notes_of(ctx.console_db, conversation_id),
        agent_outcomes=AGENT_OUTCOMES,
        canned=canned.replies(ctx.console_db, language),
        window=reply_window(summary["channel"], summary["last_message_at"], time.time()),
        earlier=customer_conversations(ctx.console_db, summary["customer_key"], conversation_id),
        error=error,
        **_transcript_context(request, conversation_id),
    )


@conversations.get("/conversation")
async def conversation(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    await ctx.sync_now()
    conversation_id = arg(request, "id")
    response = transcript_page(request, conversation_id)
    audit.record(ctx.console_db, user_of(request).username, "view", conversation_id)
    return response


@conversations.get("/conversation/messages")
async def conversation_messages(request: Request) -> HTTPResponse:
    """The chat part of the transcript alone, which the page re-reads while a person holds it."""
    conversation_id = arg(request, "id")
    summary = _summary_or_404(request, conversation_id)
    audit.record(
        request.app.ctx.console_db,
        user_of(request).username,
        "view",
        conversation_id,
        "refresh",
        unless_within=audit.READ_EVERY,
    )
    return render(
        request, "_transcript.html", summary=summary, **_transcript_context(request, conversation_id)
    )


@conversations.post("/conversation/review")
async def mark_reviewed(request: Request) -> HTTPResponse:
    conversation_id = form_value(request, "id", 255)
    _summary_or_404(request, conversation_id)
    reviewed = form_value(request, "reviewed") == "yes"
    review.set_reviewed(request.app.ctx.console_db, conversation_id, reviewed)
    audit.record(
        request.app.ctx.console_db,
        user_of(request).username,
        "review_mark",
        conversation_id,
        "reviewed" if reviewed else "not reviewed",
    )
    return back_to("/conversation", id=conversation_id, notice="reviewed")


async def _review_action(
    request: Request,
    action: Callable[[str], Any],
    notice: str,
    audited: str,
    detail: Callable[[], str] = lambda: "",
) -> HTTPResponse:
    """Runs one review change and records it as `audited`, showing a refusal on the conversation page."""
    conversation_id = form_value(request, "id", 255)
    _summary_or_404(request, conversation_id)
    try:
        action(conversation_id)
    except ReviewError as refusal:
        return transcript_page(request, conversation_id, str(refusal), 400)
    audit.record(request.app.ctx.console_db, user_of(request).username, audited, conversation_id, detail())
    return back_to("/conversation", id=conversation_id, notice=notice)


@conversations.post("/conversation/tags")
async def set_tags(request: Request) -> HTTPResponse:
    return await _review_action(
        request,
        lambda cid: review.set_tags(request.app.ctx.console_db, cid, form_value(request, "tags", 500)),
        "tags",
        "tags",
    )


@conversations.post("/conversation/notes")
async def add_note(request: Request) -> HTTPResponse:
    return await _review_action(
        request,
        lambda cid: review.add_note(
            request.app.ctx.console_db, cid, user_of(request).username, form_value(request, "text")
        ),
        "note",
        "note",
    )


@conversations.post("/conversation/correct")
async def correct(request: Request) -> HTTPResponse:
    ctx = request.app.ctx

    def apply(conversation_id: str) -> None:
        event_id = form_value(request, "event_id", 20)
        message = next(
            (
                e
                for e in read_events(ctx.tracker_db, conversation_id)
                if event_id.isdigit() and e.id == int(event_id)
            ),
            None,
        )
        if message is None:
            raise ReviewError("that message is not in this conversation")
        summary = summary_of(ctx.console_db, conversation_id) or {"language": ""}
        review.correct_intent(
            ctx.console_db,
            message,
            form_value(request, "intent", 64),
            user_of(request).username,
            message_language(message, summary["language"]),
            ctx.intents,
        )

    return await _review_action(
        request,
        apply,
        "corrected",
        "correct_intent",
        lambda: f"event {form_value(request, 'event_id', 20)} -> {form_value(request, 'intent', 64)}",
    )


@conversations.get("/conversation/story.yml")
async def export_story(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    conversation_id = arg(request, "id")
    _summary_or_404(request, conversation_id)
    story = exports.story_yaml(
        conversation_id,
        read_events(ctx.tracker_db, conversation_id),
        review.corrections_of(ctx.console_db, conversation_id),
    )
    audit.record(ctx.console_db, user_of(request).username, "export_story", conversation_id)
    return _download(story, "test_story.yml")


@conversations.get("/corrections")
async def correction_list(request: Request) -> HTTPResponse:
    rows = review.all_corrections(request.app.ctx.console_db, arg(request, "language", 8))
    audit.record(
        request.app.ctx.console_db,
        user_of(request).username,
        "view_corrections",
        None,
        f"{len(rows)} corrections",
        unless_within=audit.READ_EVERY,
    )
    return render(request, "corrections.html", corrections=rows, language=arg(request, "language", 8))


@conversations.get("/corrections/nlu.yml")
async def export_corrections(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    language = arg(request, "language", 8)
    rows = review.all_corrections(ctx.console_db, language)
    audit.record(ctx.console_db, user_of(request).username, "export_nlu", None, f"{len(rows)} corrections")
    return _download(exports.nlu_yaml(rows), f"corrections{'-' + language if language else ''}.yml")
