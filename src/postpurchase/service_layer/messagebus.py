"""The message bus: commands go to exactly one handler, events to any number.

A command's error propagates to the caller (it is the caller's request that failed); an
event handler's error is logged and does not undo the command, because the event is already
committed and safe in the outbox for the worker to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from postpurchase.domain.commands import Command
from postpurchase.domain.events import Event
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

logger = logging.getLogger(__name__)

EventHandler = Callable[[Event], None]
CommandHandler = Callable[[Command], Any]


class MessageBus:
    def __init__(
        self,
        uow: AbstractUnitOfWork,
        event_handlers: dict[type[Event], list[EventHandler]],
        command_handlers: dict[type[Command], CommandHandler],
        after_commit: Callable[[], None] | None = None,
        after_accept: Callable[[], None] | None = None,
    ) -> None:
        self.uow = uow
        self.event_handlers = event_handlers
        self.command_handlers = command_handlers
        self.after_commit = after_commit  # events are in the outbox: wake its drain
        self.after_accept = after_accept  # scans are queued (deferred): wake a folder

    def handle(self, command: Command) -> Any:
        """Run the command's handler, then in-process event handlers; return the handler result."""
        handler = self.command_handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        result = handler(command)
        events = list(self.uow.collect_new_events())
        if events and self.after_commit is not None:
            self.after_commit()
        queued, self.uow.worker_needed = self.uow.worker_needed, False
        if queued and self.after_accept is not None:
            self.after_accept()
        self._dispatch(events)
        return result

    def _dispatch(self, queue: list[Event]) -> None:
        while queue:
            event = queue.pop(0)
            for handler in self.event_handlers.get(type(event), []):
                try:
                    handler(event)
                except Exception:
                    logger.exception("in-process handler for %s failed", type(event).__name__)
                queue.extend(self.uow.collect_new_events())
