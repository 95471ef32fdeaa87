"""Field rules shared by workflow documents and node params models: id bounds, port names and
time zones. Node authors use them in their params models; the document schema uses the same
ones, so a value valid in one place is valid in the other."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The name of a node's input or output port.
PORT_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$"
#: Largest database id (32-bit on every backend): integration ids, workflow ids.
MAX_ID = 2**31 - 1


def valid_timezone(value: str | None) -> str | None:
    """``value`` if it names an IANA time zone (or is None); ValueError naming it if not."""
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)"
        ) from None
    return value
