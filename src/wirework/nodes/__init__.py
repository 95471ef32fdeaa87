"""The core nodes (triggers, flow, data). Importing this package registers them.

Each module declares its node types with a params model and registers a
:class:`~wirework.sdk.registry.NodeSpec` (the single registration point; the engine attaches
how a node runs to the same spec). Ports beyond the spec's static ones:

* ``extra["dynamic_inputs"]``: a function of the validated params giving the input ports
  (``core.merge``: ``in1`` … ``inN``), like ``NodeSpec.dynamic_outputs`` for outputs;
* ``extra["literal_params"]``: parameters that may not hold expressions because they must be
  known before a run (they name ports, or configure a trigger).
"""

from __future__ import annotations

from wirework.nodes import ai, data, flow, triggers
from wirework.nodes.base import ParamsModel, is_expression

__all__ = ["ParamsModel", "ai", "data", "flow", "is_expression", "triggers"]
