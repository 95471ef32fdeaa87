"""Where an execution's ready steps run and its durable timers fire: in this process
(:mod:`wirework.dispatch.embedded`) or, later, on Celery workers. See README.md."""

from wirework.dispatch.base import Dispatcher, ReadyWork
from wirework.dispatch.embedded import EmbeddedDispatcher

__all__ = ["Dispatcher", "EmbeddedDispatcher", "ReadyWork"]
