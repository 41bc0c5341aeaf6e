"""At most one message per process between the provider's acceptance and our record.

SMTP cannot be exactly-once: a process killed after the server accepted a message and
before the database says "sent" re-sends it (same Message-ID, counted). Batched sends
(ADR 0033) let the sending thread go on while the previous outcome is being committed, and
two worker threads send at once, so one kill could catch several accepted, unrecorded
messages. Issue 17 asks for no more duplicates than kills in that window, so each process
lets one message at a time in (ADR 0044): the channel asks for a message's acceptance (the
SMTP end of data) only once the previous accepted one is recorded. The envelope and the
content of the next message still go over while that record commits; only the final
``.`` waits.
"""

from __future__ import annotations

import threading

# Process-wide on purpose: a kill takes every thread of the process at once.
_GATE = threading.Lock()


class OneInWindow:
    """One sender's (a batch's) use of the process-wide window. :meth:`enter` is called by
    the channel (any thread that sends); :meth:`leave` once the outcome of the message that
    entered is committed (the recording thread), or when the batch ends. A plain lock,
    not a re-entrant one: it is released by the thread that records, not the one that
    sends, and a sender entering again waits for its own previous message's record."""

    def __init__(self) -> None:
        self._held = False
        self.entered = 0  # messages let in (for tests and figures)
        self._taken = 0

    def enter(self) -> None:
        if self._held and self.entered != self._taken:
            return  # the same message again (a reused connection dropped: a new one)
        _GATE.acquire()
        self._held = True
        self.entered += 1

    def take(self) -> bool:
        """Whether a message entered since the last call: the outcome just yielded is the
        one holding the window, so its record must :meth:`leave` it. Called by the
        sending thread between outcomes, never at the same time as :meth:`enter`."""
        fresh = self.entered != self._taken
        self._taken = self.entered
        return fresh

    def leave(self) -> None:
        """Let the next message in; a no-op when none is in. Not called concurrently with
        itself (the recorder records one group at a time; the batch's end joins it first)."""
        if self._held:
            self._held = False
            _GATE.release()
