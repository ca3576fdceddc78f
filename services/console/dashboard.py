"""The dashboard's figures and the geometry of its charts (drawn as SVG by the template).

Figures count conversations with at least one customer message that started
within the period, optionally of one language and one channel:
- containment: the share resolved by the assistant alone (outcome `resolved`);
- fallback rate: the share of customer messages the assistant did not understand;
- intents per day: customer messages per understood intent (from the anonymous
  per-day counts, which outlive retention).
Charts are computed here as plain rectangles so that the page needs no
script and no external library.
"""

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.engine import Engine

from services.console.schema import intent_days, summaries

PALETTE = ("#2f6fdf", "#e07b24", "#3a9d5d", "#c94141", "#8a5cc2", "#7c6f64", "#d1a11f", "#1d9aa8", "#a0a0a0")
TOP_INTENTS = 8
CHART_WIDTH, CHART_HEIGHT = 720, 220


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
    ]
    query = select(group if group is not None else literal("all"), *columns).where(
        s.started_at >= since, s.user_messages > 0
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
    }
