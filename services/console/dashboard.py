"""The dashboard's figures and the geometry of its charts (drawn as SVG by the template).

Figures count conversations with at least one customer message that started
within the period, optionally of one language and one channel:
- containment: the share resolved by the assistant alone (outcome `resolved`);
- fallback rate: the share of customer messages the assistant did not understand;
- intents per day: customer messages per understood intent (from the anonymous
  per-day counts, which outlive retention).
Charts are computed here as plain rectangles so that the page needs no
script and no external library. The "try it" page's conversations (agents trying the
assistant) are no customers and count nowhere here.

Team figures, over the hand-offs of the period:
- per agent: conversations handed back, the mean first-response time (from the hand-off to
  the agent's first reply) and the mean time to resolution (from the hand-off to the hand-back);
- the handoff rate per day: the share of the day's conversations handed to a person.
"""

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.engine import Engine

from services.console.auth import TRY_PREFIX
from services.console.schema import audit, intent_days, summaries

PALETTE = ("#2f6fdf", "#e07b24", "#3a9d5d", "#c94141", "#8a5cc2", "#7c6f64", "#d1a11f", "#1d9aa8", "#a0a0a0")
TOP_INTENTS = 8
CHART_WIDTH, CHART_HEIGHT = 1200, 220  # wide enough to fill the card from 1280 to 1920 px


@dataclass(frozen=True)
class Figures:
    """Conversation counts and rates for one group (all, one language, one channel)."""

    label: str
    conversations: int
    resolved: int
    handed_off: int
    fallback: int
    abandoned: int
    messages: int
    not_understood: int
    rated: int = 0  # conversations whose customer answered the 1-5 satisfaction question
    rating_sum: int = 0

    @property
    def csat(self) -> float | None:
        """The mean 1-5 satisfaction answer, or None when nobody answered."""
        return self.rating_sum / self.rated if self.rated else None

    @property
    def containment(self) -> float:
        return self.resolved / self.conversations if self.conversations else 0.0

    @property
    def fallback_rate(self) -> float:
        return self.not_understood / self.messages if self.messages else 0.0


def _figures(engine: Engine, since: float, language: str, channel: str, group: Any | None) -> list[Figures]:
    s = summaries.c
    outcome_count = lambda name: func.sum(case((s.outcome == name, 1), else_=0))  # noqa: E731
    columns = [
        func.count(),
        outcome_count("resolved"),
        outcome_count("handed_off"),
        outcome_count("fallback"),
        outcome_count("abandoned"),
        func.sum(s.user_messages),
        func.sum(s.fallbacks),
        func.count(s.satisfaction),
        func.sum(s.satisfaction),
    ]
    query = select(group if group is not None else literal("all"), *columns).where(
        s.started_at >= since, s.user_messages > 0, ~s.conversation_id.startswith(TRY_PREFIX)
    )
    if language:
        query = query.where(s.language == language)
    if channel:
        query = query.where(s.channel == channel)
    if group is not None:
        query = query.group_by(group).order_by(group)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [Figures(row[0] or "unknown", *[int(v or 0) for v in row[1:]]) for row in rows]


def intents_per_day(engine: Engine, first_day: str, language: str, channel: str) -> dict[str, dict[str, int]]:
    """Customer messages per day and intent since `first_day`."""
    query = (
        select(intent_days.c.day, intent_days.c.intent, func.sum(intent_days.c.messages))
        .where(intent_days.c.day >= first_day)
        .group_by(intent_days.c.day, intent_days.c.intent)
    )
    if language:
        query = query.where(intent_days.c.language == language)
    if channel:
        query = query.where(intent_days.c.channel == channel)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    with engine.connect() as connection:
        for day, intent, messages in connection.execute(query):
            counts[day][intent] = int(messages)
    return counts


def stacked_bars(days: list[str], counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Rectangles of a stacked bar chart: one bar per day, the top intents and "other" stacked."""
    totals: dict[str, int] = defaultdict(int)
    for per_intent in counts.values():
        for intent, n in per_intent.items():
            totals[intent] += n
    top = sorted(totals, key=lambda i: (-totals[i], i))[:TOP_INTENTS]
    series = top + (["other"] if len(totals) > len(top) else [])
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    highest = max([sum(counts.get(day, {}).values()) for day in days] + [1])
    slot = CHART_WIDTH / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        per_intent = counts.get(day, {})
        stack = [(name, per_intent.get(name, 0)) for name in top]
        if "other" in series:
            stack.append(("other", sum(n for i, n in per_intent.items() if i not in top)))
        y = float(CHART_HEIGHT)
        for name, n in stack:
            if not n:
                continue
            height = CHART_HEIGHT * n / highest
            y -= height
            bars.append(
                {
                    "x": round(index * slot + slot * 0.1, 1),
                    "y": round(y, 1),
                    "width": round(slot * 0.8, 1),
                    "height": round(height, 1),
                    "colour": colours[name],
                    "title": f"{day} {name}: {n}",
                }
            )
    return {
        "bars": bars,
        "legend": [(name, colours[name]) for name in series],
        "highest": highest,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "labels": [
            {"x": round(i * slot + slot / 2, 1), "text": day[5:]}
            for i, day in enumerate(days)
            if len(days) <= 14 or i % max(len(days) // 10, 1) == 0
        ],
    }


@dataclass(frozen=True)
class AgentFigures:
    """One agent's work in the period."""

    agent: str
    handled: int
    first_response_minutes: float | None
    resolution_minutes: float | None


def _mean_minutes(seconds: list[float]) -> float | None:
    kept = [value for value in seconds if value is not None and value >= 0]
    return round(sum(kept) / len(kept) / 60, 1) if kept else None


def team(engine: Engine, since: float, language: str = "", channel: str = "") -> list[AgentFigures]:
    """Per agent: hand-backs in the period, mean first-response time and time to resolution."""
    s = summaries.c
    scope = [~s.conversation_id.startswith(TRY_PREFIX)]
    if language:
        scope.append(s.language == language)
    if channel:
        scope.append(s.channel == channel)
    hand_backs = (
        select(audit.c.actor, audit.c.conversation_id, audit.c.at, s.handoff_at)
        .select_from(audit.join(summaries, s.conversation_id == audit.c.conversation_id))
        .where(audit.c.action == "hand_back", audit.c.at >= since, *scope)
    )
    first_replies = select(s.first_agent, s.first_agent_reply_at - s.handoff_at).where(
        s.first_agent_reply_at >= since, s.handoff_at.isnot(None), *scope
    )
    handled: dict[str, set] = defaultdict(set)
    resolution: dict[str, list[float]] = defaultdict(list)
    response: dict[str, list[float]] = defaultdict(list)
    with engine.connect() as connection:
        for actor, conversation_id, at, handoff_at in connection.execute(hand_backs):
            handled[actor].add(conversation_id)
            if handoff_at:
                resolution[actor].append(at - handoff_at)
        for agent, seconds in connection.execute(first_replies):
            response[agent].append(seconds)
    return [
        AgentFigures(
            agent, len(handled[agent]), _mean_minutes(response[agent]), _mean_minutes(resolution[agent])
        )
        for agent in sorted(set(handled) | set(response))
    ]


def handoff_rate_per_day(
    engine: Engine, since: float, language: str = "", channel: str = ""
) -> list[dict[str, Any]]:
    """Per UTC day of the period: conversations started, how many were handed to a person, the share."""
    s = summaries.c
    day = cast(s.started_at / 86400, Integer)
    query = (
        select(day, func.count(), func.sum(case((s.handoff_at.isnot(None), 1), else_=0)))
        .where(and_(s.started_at >= since, s.user_messages > 0, ~s.conversation_id.startswith(TRY_PREFIX)))
        .group_by(day)
        .order_by(day)
    )
    if language:
        query = query.where(s.language == language)
    if channel:
        query = query.where(s.channel == channel)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        {
            "day": datetime.fromtimestamp(number * 86400, timezone.utc).strftime("%Y-%m-%d"),
            "conversations": int(total),
            "handed_off": int(handed or 0),
            "rate": (handed or 0) / total if total else 0.0,
        }
        for number, total, handed in rows
    ]


def dashboard(engine: Engine, days: int, language: str = "", channel: str = "") -> dict[str, Any]:
    """Everything the dashboard page shows, for the last `days` days."""
    now = datetime.now(timezone.utc)
    since = time.time() - days * 86400
    day_list = [(now - timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days - 1, -1, -1)]
    return {
        "overall": _figures(engine, since, language, channel, None)[0],
        "by_language": _figures(engine, since, language, channel, summaries.c.language),
        "by_channel": _figures(engine, since, language, channel, summaries.c.channel),
        "intents": stacked_bars(day_list, intents_per_day(engine, day_list[0], language, channel)),
        "team": team(engine, since, language, channel),
        "handoff_days": handoff_rate_per_day(engine, since, language, channel),
    }
