"""A helper for polling triggers whose service can list items changed since a time: keep a
cursor of ``{"after": <newest timestamp seen>, "seen": [ids at that timestamp]}`` so an item is
emitted once per change, none is skipped when several share a timestamp, and a restart
continues where the stored cursor says.

The scheduler stores the cursor returned with the execution it starts (atomically), so the
trigger function only has to be a pure function of (service answers, cursor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from wirework.sdk.node import Item


def parse_time(value: str) -> dt.datetime:
    """ISO 8601 with ``Z``, ``+00:00`` or ``+0000`` offsets (Jira writes the last)."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def baseline(now: dt.datetime | None = None) -> dict[str, Any]:
    """The cursor of a trigger's first poll: changes from now on are new (from the start of
    this second: services that stamp changes to the second are not missed)."""
    moment = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    return {"after": moment.isoformat(), "seen": []}


def cursor_time(cursor: Any) -> dt.datetime:
    return parse_time(str(cursor["after"]))


def newer(
    items: Iterable[Item],
    cursor: Any,
    *,
    key: Callable[[Item], str],
    changed_at: Callable[[Item], str],
) -> tuple[list[Item], dict[str, Any]]:
    """The items changed after the cursor (oldest first) and the cursor after them. An item
    changed exactly at the cursor's time counts unless its id is in ``seen``."""
    after = cursor_time(cursor)
    seen = set(cursor.get("seen") or [])
    fresh: list[tuple[dt.datetime, Item]] = []
    for item in items:
        moment = parse_time(changed_at(item))
        marker = f"{key(item)}@{changed_at(item)}"
        if moment > after or (moment == after and marker not in seen):
            fresh.append((moment, item))
    fresh.sort(key=lambda pair: pair[0])
    if not fresh:
        return [], {"after": after.isoformat(), "seen": sorted(seen)}
    newest = fresh[-1][0]
    at_newest = {f"{key(i)}@{changed_at(i)}" for m, i in fresh if m == newest}
    if newest == after:
        at_newest |= seen
    return [i for _, i in fresh], {"after": newest.isoformat(), "seen": sorted(at_newest)}
