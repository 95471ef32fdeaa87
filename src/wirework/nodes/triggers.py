"""Trigger nodes: where executions start. Triggers have no inputs.

When a run is started by the API or ``wirework run`` with an input, the trigger emits that
input as its item (each element, if the input is a list); ``core.manual`` with no input emits
one empty item.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from wirework.nodes.base import ParamsModel, check_problems
from wirework.sdk.fields import MAX_ID, valid_timezone
from wirework.sdk.registry import NodeSpec, registry

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
WEBHOOK_PATH_PATTERN = r"^[A-Za-z0-9_\-.~]+(/[A-Za-z0-9_\-.~]+)*$"
MAX_DELIVERY_ID = 200  # longest accepted webhook delivery id (idempotency_header)


# --------------------------------------------------------------------------- cron

_CRON_FIELDS: list[tuple[str, int, int, dict[str, int]]] = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(
                ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            )
        },
    ),
    (
        "day of week",
        0,
        7,
        {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
    ),
]
CRON_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def parse_cron(expression: str) -> list[set[int]]:
    """The five fields of a standard cron expression as sets of allowed values.

    Supports ``*``, lists (``1,15``), ranges (``1-5``), steps (``*/10``, ``0-30/5``), month and
    weekday names (``jan``, ``mon-fri``; 0 and 7 are Sunday) and the macros ``@hourly``,
    ``@daily``, ``@weekly``, ``@monthly``, ``@yearly``. Raises ValueError naming the bad part."""
    text = CRON_MACROS.get(expression.strip().lower(), expression.strip())
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(parts)}"
        )
    out: list[set[int]] = []
    for part, (what, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        values: set[int] = set()
        for item in part.split(","):
            values |= _cron_item(item.lower(), what, low, high, names)
        if what == "day of week" and 7 in values:
            values = (values - {7}) | {0}
        out.append(values)
    return out


def _cron_value(text: str, what: str, low: int, high: int, names: dict[str, int]) -> int:
    if text in names:
        return names[text]
    if not text.isdigit():
        raise ValueError(f"{what}: {text!r} is not a number" + (" or name" if names else ""))
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{what}: {value} is out of range {low}-{high}")
    return value


def _cron_item(item: str, what: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    match = re.fullmatch(r"([^/]+)(?:/(\d+))?", item)
    if match is None:
        raise ValueError(f"{what}: {item!r} is not valid")
    base, step_text = match.group(1), match.group(2)
    step = int(step_text) if step_text else 1
    if step < 1:
        raise ValueError(f"{what}: the step must be at least 1")
    if base == "*":
        start, end = low, high
    elif "-" in base:
        first, _, last = base.partition("-")
        start = _cron_value(first, what, low, high, names)
        end = _cron_value(last, what, low, high, names)
        if start > end:
            raise ValueError(f"{what}: range {base!r} runs backwards")
    else:
        start = _cron_value(base, what, low, high, names)
        end = high if step_text else start
    return set(range(start, end + 1, step))


# --------------------------------------------------------------------------- params


class ManualParams(ParamsModel):
    """No parameters: runs when started by hand, by the API or by `wirework run`."""


# An HTTP header name (RFC 9110 token characters).
HEADER_NAME_PATTERN = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
HeaderName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=HEADER_NAME_PATTERN)
]
WEBHOOK_AUTH_DEFAULT_HEADER = {
    "header": "Authorization",
    "basic": "Authorization",
    "hmac": "X-Signature",
}


class WebhookAuth(ParamsModel):
    """How callers prove who they are. The secret lives in an integration (encrypted), never
    in the workflow document.

    Credential fields read from the integration: ``header`` → ``token``; ``basic`` →
    ``username`` and ``password``; ``hmac`` → ``secret``. ``hmac`` expects
    ``<header>: sha256=<hex HMAC-SHA256>`` of the raw body, or of ``<timestamp>.<raw body>``
    when ``timestamp_header`` is set (the timestamp in Unix seconds, refused outside
    ``tolerance_s``)."""

    type: Literal["header", "basic", "hmac"] = Field(
        description="header: a token in a header (credential field `token`); basic: HTTP "
        "basic auth (`username`, `password`); hmac: a SHA-256 HMAC signature of the body "
        "(with an optional timestamp) in a header (`secret`)"
    )
    integration_id: int = Field(
        ge=1,
        le=MAX_ID,
        description="The integration holding the token, user/password or signing secret",
    )
    header: HeaderName | None = Field(
        default=None,
        description="Header carrying the token or signature (default Authorization for "
        "header, X-Signature for hmac; basic always uses Authorization)",
    )
    timestamp_header: HeaderName | None = Field(
        default=None,
        description="hmac: header carrying the signing timestamp (Unix seconds); when set, "
        "the signature covers `<timestamp>.<body>`",
    )
    tolerance_s: int = Field(
        default=300, ge=1, le=86400, description="hmac: accepted clock difference, in seconds"
    )

    @model_validator(mode="after")
    def _consistent(self) -> WebhookAuth:
        problems: list[tuple[str, str]] = []
        if (
            self.type == "basic"
            and self.header is not None
            and self.header.lower() != "authorization"
        ):
            problems.append(("header", "basic auth always uses the Authorization header"))
        if self.type != "hmac" and self.timestamp_header is not None:
            problems.append(("timestamp_header", "is only for type hmac"))
        if (
            self.timestamp_header is not None
            and self.timestamp_header.lower() == self.signature_header.lower()
        ):
            problems.append(
                ("timestamp_header", "must differ from the header carrying the signature")
            )
        check_problems(problems)
        return self

    @property
    def signature_header(self) -> str:
        """The header the token, credentials or signature is read from."""
        if self.type == "basic":
            return "Authorization"
        return self.header or WEBHOOK_AUTH_DEFAULT_HEADER[self.type]


class WebhookRateLimit(ParamsModel):
    """At most ``requests`` calls per ``per_s`` seconds to this webhook (its method and
    path, all callers together); more are answered 429 with Retry-After and start nothing."""

    requests: int = Field(ge=1, le=1_000_000, description="Calls allowed per window")
    per_s: int = Field(ge=1, le=86_400, description="Window length, in seconds")


class WebhookParams(ParamsModel):
    """Starts an execution when an HTTP request arrives at /webhook/{path}."""

    path: str = Field(
        min_length=1,
        max_length=500,
        description="URL path after /webhook/, e.g. `bugs` or `github/push`",
    )
    method: HttpMethod = Field(default="POST", description="HTTP method the webhook accepts")
    respond: Literal["immediately", "last_node", "respond_node"] = Field(
        default="immediately",
        description="immediately: answer 200 at once; last_node: answer with the last node's "
        "items; respond_node: a core.respond node answers",
    )
    response_status: int = Field(
        default=200, ge=100, le=599, description="Status of the answer (immediately, last_node)"
    )
    response_headers: dict[str, str] = Field(
        default_factory=dict, description="Headers of the answer (immediately, last_node)"
    )
    auth: WebhookAuth | None = Field(default=None, description="Caller authentication; none = open")
    idempotency_header: HeaderName | None = Field(
        default=None,
        description="Header with a delivery id (e.g. X-GitHub-Delivery, at most "
        f"{MAX_DELIVERY_ID} characters); a repeated delivery does not start a second "
        'execution but is answered {"execution_id": <the first one>, "status": "duplicate"}',
    )
    max_body_bytes: int | None = Field(
        default=None,
        ge=1,
        le=100 * 1024 * 1024,
        description="Largest accepted body, in bytes (WIREWORK_WEBHOOK_MAX_BODY_BYTES applies "
        "too: the smaller wins)",
    )

    rate_limit: WebhookRateLimit | None = Field(
        default=None,
        description='At most this many calls per window, e.g. {"requests": 100, "per_s": 60}; '
        "more are answered 429 with Retry-After (counted per server process)",
    )

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip("/")
            if not re.fullmatch(WEBHOOK_PATH_PATTERN, value):
                raise ValueError(
                    "must be URL path segments of letters, digits, - _ . ~ separated by /"
                )
        return value


class ScheduleParams(ParamsModel):
    """Starts an execution on a cron schedule or at a fixed interval."""

    cron: str | None = Field(
        default=None,
        max_length=200,
        description="Cron expression (minute hour day-of-month month day-of-week) or a macro "
        "such as @daily; give cron or interval_s",
        examples=["*/15 * * * *", "0 9 * * mon-fri", "@daily"],
    )
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA time zone of the cron expression (default: the workflow's, else UTC)",
    )
    interval_s: int | None = Field(
        default=None, ge=1, le=366 * 86400, description="Run every this many seconds"
    )
    missed_runs: Literal["skip", "run_once"] = Field(
        default="skip",
        description="Runs missed while the scheduler was down: skip them, or run once to catch up",
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            parse_cron(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return valid_timezone(value)

    @model_validator(mode="after")
    def _one(self) -> ScheduleParams:
        if (self.cron is None) == (self.interval_s is None):
            check_problems([("cron", "give exactly one of cron or interval_s")])
        if self.timezone is not None and self.cron is None:
            check_problems([("timezone", "is only for cron schedules")])
        return self


class ErrorTriggerParams(ParamsModel):
    """Starts this workflow when a workflow naming it as `settings.error_workflow` fails; emits
    one item describing the failed execution and its error."""


class WorkflowTriggerParams(ParamsModel):
    """Starts this workflow when another calls it with core.subworkflow; emits the input it
    was given."""

    input_fields: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Fields callers are expected to send (documentation for the editor)",
    )


# --------------------------------------------------------------------------- specs

MANUAL = registry.register_node(
    NodeSpec(
        type="core.manual",
        display_name="Manual trigger",
        description="Start by hand, from the API or `wirework run`",
        group="trigger",
        category="Triggers",
        icon="mouse-pointer-click",
        params=ManualParams,
        inputs=(),
    )
)
WEBHOOK = registry.register_node(
    NodeSpec(
        type="core.webhook",
        display_name="Webhook",
        description="Start on an HTTP request; emits {body, headers, query, method, path}",
        group="trigger",
        category="Triggers",
        icon="webhook",
        params=WebhookParams,
        inputs=(),
        extra={
            "literal_params": (
                "path",
                "method",
                "respond",
                "auth",
                "idempotency_header",
                "max_body_bytes",
                "rate_limit",
            )
        },
    )
)
SCHEDULE = registry.register_node(
    NodeSpec(
        type="core.schedule",
        display_name="Schedule",
        description="Start on a cron schedule or at an interval",
        group="trigger",
        category="Triggers",
        icon="clock",
        params=ScheduleParams,
        inputs=(),
        extra={"literal_params": ("cron", "timezone", "interval_s", "missed_runs")},
    )
)
ERROR_TRIGGER = registry.register_node(
    NodeSpec(
        type="core.error_trigger",
        display_name="Error trigger",
        description="Start when a workflow that names this one as its error workflow fails",
        group="trigger",
        category="Triggers",
        icon="circle-alert",
        params=ErrorTriggerParams,
        inputs=(),
    )
)
WORKFLOW_TRIGGER = registry.register_node(
    NodeSpec(
        type="core.workflow_trigger",
        display_name="Workflow trigger",
        description="Start when another workflow calls this one (core.subworkflow)",
        group="trigger",
        category="Triggers",
        icon="log-in",
        params=WorkflowTriggerParams,
        inputs=(),
    )
)
