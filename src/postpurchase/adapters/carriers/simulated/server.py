"""Running the simulated carrier's HTTP API: in the foreground (``postpurchase simulator
serve``) or on a background thread (the demo, tests, the polling benchmark)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from postpurchase.adapters.carriers.simulated.api import SimulatorState, create_app


@dataclass
class RunningSimulator:
    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def config(state: SimulatorState, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(state), host=host, port=port, log_level="warning", access_log=False,
        loop="asyncio", lifespan="off",
    )  # fmt: skip


def start_in_thread(
    state: SimulatorState, host: str = "127.0.0.1", port: int = 0, *, wait: float = 10.0
) -> RunningSimulator:
    """Serve ``state`` on a daemon thread; returns once it accepts connections."""
    port = port or _free_port(host)
    server = uvicorn.Server(config(state, host, port))
    thread = threading.Thread(target=server.run, name="simulated-carrier", daemon=True)
    thread.start()
    deadline = time.monotonic() + wait
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the simulated carrier did not start on {host}:{port}")
        time.sleep(0.02)
    return RunningSimulator(server, thread, f"http://{host}:{port}")
