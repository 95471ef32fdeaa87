"""Code-step sandbox: run user Python in a separate, unprivileged, resource-limited process.

See ``README.md`` in this package for what it guarantees and what it does not.
"""

from wirework.sandbox.child import ALLOWED_MODULES
from wirework.sandbox.runner import (
    CodeError,
    CodeErrorKind,
    CodeLimits,
    CodeResult,
    CodeRunner,
    Mode,
    check_code_syntax,
    default_runner,
    run_code,
    shutdown,
)

__all__ = [
    "ALLOWED_MODULES",
    "CodeError",
    "CodeErrorKind",
    "CodeLimits",
    "CodeResult",
    "CodeRunner",
    "Mode",
    "check_code_syntax",
    "default_runner",
    "run_code",
    "shutdown",
]
