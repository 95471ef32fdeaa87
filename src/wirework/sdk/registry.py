"""The one registry of node types and integration connection testers.

Every node package registers on import, and every one is found the same way: through the
``wirework.integrations`` entry-point group (loaded by :func:`load_plugins`, one broken plugin
never stopping the others). The core nodes are the entry point ``core`` of this package
(``wirework.nodes``, declared in pyproject.toml); the sdk never imports them itself.
"""

from __future__ import annotations

import builtins
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Literal

from pydantic import BaseModel

from wirework.sdk.node import Item, NodeContext, Outputs, Wait

log = logging.getLogger(__name__)

NodeGroup = Literal["trigger", "flow", "data", "action"]
# An async function given the decrypted credentials; returns (ok, message).
ConnectionTester = Callable[[dict[str, Any]], Awaitable[tuple[bool, str]]]
# Whole-list node: all input items at once → items per output port (a bare list means "main"),
# or Wait to pause.
RunFn = Callable[[NodeContext], Awaitable[Outputs | list[Item] | Wait]]
# Per-item node: one item and its evaluated params → zero, one or several output items.
RunItemFn = Callable[[NodeContext, Item, dict[str, Any]], Awaitable[Item | list[Item] | None]]

# A lucide icon name (https://lucide.dev/icons), kebab-case: "webhook", "git-branch".
ICON_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# The editor's palette section and icon of a node that does not name its own, by group.
GROUP_PALETTE: dict[str, tuple[str, str]] = {
    "trigger": ("Triggers", "zap"),
    "flow": ("Flow", "git-branch"),
    "data": ("Data", "table"),
    "action": ("Actions", "plug"),
}
DEFAULT_INTEGRATION_ICON = "plug"


@dataclass(frozen=True)
class IntegrationInfo:
    """How the palette shows an integration's actions (``<name>.<action>`` node types):
    under its display name, with its icon."""

    name: str
    display_name: str
    icon: str = DEFAULT_INTEGRATION_ICON

    def __post_init__(self) -> None:
        _check_icon(self.icon, f"integration {self.name!r}")


def _check_icon(icon: str | None, owner: str) -> None:
    if icon is not None and not ICON_PATTERN.match(icon):
        raise ValueError(f"{owner}: icon {icon!r} is not a kebab-case lucide icon name")


def _display_name(type_name: str) -> str:
    """``google_sheets`` → ``Google Sheets`` (an integration that registered no info)."""
    words = re.split(r"[_\-\s]+", type_name.strip())
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or type_name


@dataclass(frozen=True)
class NodeSpec:
    """A node type: its name, its params model (whose JSON Schema drives the editor's form),
    and its ports. ``outputs=None`` means the outputs are named by the params (core.switch)."""

    type: str
    display_name: str
    description: str
    group: NodeGroup
    params: builtins.type[BaseModel]
    inputs: tuple[str, ...] = ("main",)
    outputs: tuple[str, ...] | None = ("main",)
    dynamic_outputs: Callable[[BaseModel], tuple[str, ...]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # How it runs (a trigger needs neither: it emits the execution's input).
    run: RunFn | None = field(default=None, compare=False)
    run_item: RunItemFn | None = field(default=None, compare=False)
    # Whether the items are independent: running on a batch of the input gives that batch's
    # part of the output, in order, so large inputs may stream through in batches. None
    # means "if it runs per item". Whole-list nodes (sort, aggregate, merge) must say False.
    streaming: bool | None = None
    # The editor's palette: a lucide icon name (kebab-case) and the section it is listed in.
    # None: derived (an action: its integration's; otherwise from the group, GROUP_PALETTE).
    icon: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        _check_icon(self.icon, f"node type {self.type!r}")

    @property
    def streams(self) -> bool:
        if self.streaming is not None:
            return self.streaming
        return self.run_item is not None

    def output_names(self, params: BaseModel | None) -> tuple[str, ...] | None:
        if self.outputs is not None:
            return self.outputs
        if self.dynamic_outputs is not None and params is not None:
            return self.dynamic_outputs(params)
        return None

    def palette(self) -> tuple[str, str]:
        """(category, icon) as the palette shows them, defaults filled in."""
        category, icon = GROUP_PALETTE.get(self.group, ("Other", DEFAULT_INTEGRATION_ICON))
        if self.group == "action" and "." in self.type:
            integration = registry.integration(self.type.partition(".")[0])
            category, icon = integration.display_name, integration.icon
        return self.category or category, self.icon or icon

    def metadata(self) -> dict[str, Any]:
        category, icon = self.palette()
        return {
            "type": self.type,
            "display_name": self.display_name,
            "description": self.description,
            "group": self.group,
            "category": category,
            "icon": icon,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs) if self.outputs is not None else None,
            "params_schema": self.params.model_json_schema(),
        }


@dataclass(frozen=True)
class PluginStatus:
    """One entry point of the ``wirework.integrations`` group: loaded, or why not."""

    name: str
    module: str
    package: str | None
    version: str | None
    ok: bool
    error: str | None = None


class Registry:
    def __init__(self) -> None:
        self._nodes: dict[str, NodeSpec] = {}
        self._testers: dict[str, ConnectionTester] = {}
        self._integrations: dict[str, IntegrationInfo] = {}
        # Integration types declared with the SDK (wirework.sdk.integration), by name.
        self._definitions: dict[str, Any] = {}
        # Types users declared without code (declarative HTTP types), refreshed from the
        # database while the process runs: by name.
        self._custom: dict[str, Any] = {}
        self.plugins: list[PluginStatus] = []
        self._loaded = False

    def register_node(self, spec: NodeSpec) -> NodeSpec:
        if spec.type in self._nodes and self._nodes[spec.type] is not spec:
            raise ValueError(f"node type {spec.type!r} is registered twice")
        self._nodes[spec.type] = spec
        return spec

    def node(self, type_: str) -> NodeSpec | None:
        self.ensure_loaded()
        return self._nodes.get(type_)

    def nodes(self) -> Iterator[NodeSpec]:
        self.ensure_loaded()
        yield from sorted(self._nodes.values(), key=lambda s: s.type)

    def register_integration(self, info: IntegrationInfo) -> IntegrationInfo:
        """Name and icon of an integration package's actions in the palette."""
        self._integrations[info.name] = info
        return info

    def integration(self, type_name: str) -> IntegrationInfo:
        """The palette info of an integration (derived from its name if none registered)."""
        self.ensure_loaded()
        found = self._integrations.get(type_name)
        return found or IntegrationInfo(type_name, _display_name(type_name))

    def register_definition(self, definition: Any) -> Any:
        """An integration type declared with the SDK (``IntegrationDefinition``); its name
        is taken once."""
        name = definition.name
        if getattr(definition, "custom", False):
            self._custom[name] = definition
            return definition
        found = self._definitions.get(name)
        if found is not None and found is not definition:
            raise ValueError(f"integration type {name!r} is declared twice")
        self._definitions[name] = definition
        return definition

    def definitions(self) -> list[Any]:
        """The SDK-declared integration types, by name."""
        self.ensure_loaded()
        return [self._definitions[k] for k in sorted(self._definitions)]

    def definition(self, name: str) -> Any | None:
        self.ensure_loaded()
        return self._definitions.get(name)

    def custom_definition(self, name: str) -> Any | None:
        return self._custom.get(name)

    def custom_definitions(self) -> list[Any]:
        return [self._custom[k] for k in sorted(self._custom)]

    def unregister_custom(self, name: str) -> None:
        """Forget a user-declared type: its node types, its palette info and its tester."""
        if self._custom.pop(name, None) is None:
            return
        prefix = f"{name}."
        for type_ in [t for t in self._nodes if t.startswith(prefix)]:
            del self._nodes[type_]
        self._integrations.pop(name, None)
        self._testers.pop(name, None)

    def plugin_errors(self) -> list[PluginStatus]:
        self.ensure_loaded()
        return [p for p in self.plugins if not p.ok]

    def register_tester(self, type_name: str, tester: ConnectionTester) -> None:
        self._testers[type_name] = tester

    def tester(self, type_name: str) -> ConnectionTester | None:
        self.ensure_loaded()
        return self._testers.get(type_name)

    def ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        self.plugins = load_plugins()


registry = Registry()


def _describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


def load_plugins(group: str = "wirework.integrations") -> list[PluginStatus]:
    """Import every plugin module of the entry-point group; one that fails (import error,
    a node type registered twice, anything) is logged, reported and skipped. What it
    registered before failing stays registered."""
    out: list[PluginStatus] = []
    for ep in entry_points(group=group):
        dist = getattr(ep, "dist", None)
        package = dist.name if dist is not None else None
        version = dist.version if dist is not None else None
        try:
            ep.load()
        except Exception as exc:
            log.exception("integration plugin %r failed to load; skipping it", ep.name)
            out.append(
                PluginStatus(ep.name, ep.value, package, version, False, _describe_error(exc))
            )
        else:
            out.append(PluginStatus(ep.name, ep.value, package, version, True))
    return out
