"""The HTTP layer every Google client shares: quota pacing, call counting, timeouts.

Google's Sheets quota is 60 requests a minute per user per project, and for background
sync the "user" is the one service account across every instance (GOOGLE.md, Quota). In
production the Cloud Tasks queue's rate paces the instances; inside one process this
sliding window keeps any 60-second span at or under the limit, so a sync of many MAPs
slows down instead of drawing 429s. Retries of 429 and 5xx with randomised exponential
backoff are the client library's own (`execute(num_retries=...)`).

The clock and sleep are parameters: tests and the benchmark pass a simulated clock, so
pacing and a simulated per-call latency cost no real time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials

REQUESTS_PER_MINUTE = 60  # Sheets: per user per project (GOOGLE.md, Sheets v4, Quota)


@dataclass
class Clock:
    """Real time by default; `simulated()` gives one that only moves when slept on."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def simulated(cls) -> Clock:
        state = {"t": 0.0}

        def sleep(seconds: float) -> None:
            state["t"] += max(0.0, seconds)

        return cls(now=lambda: state["t"], sleep=sleep)


@dataclass
class Pacer:
    """At most `limit` calls in any `window` seconds (a sliding window over call starts)."""

    clock: Clock = field(default_factory=Clock)
    limit: int = REQUESTS_PER_MINUTE
    window: float = 60.0
    waited: float = 0.0  # seconds spent waiting for quota, for reports and the benchmark
    _starts: deque[float] = field(default_factory=deque)

    def acquire(self) -> None:
        now = self.clock.now()
        while self._starts and now - self._starts[0] >= self.window:
            self._starts.popleft()
        if len(self._starts) >= self.limit:
            wait = self._starts[0] + self.window - now
            self.clock.sleep(wait)
            self.waited += wait
            self._starts.popleft()
            now = self.clock.now()
        self._starts.append(now)


@dataclass
class CallLog:
    """What went over the wire: one entry per HTTP round trip (a batch is one)."""

    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, uri)

    def __len__(self) -> int:
        return len(self.calls)


class PacedHttp:
    """An httplib2-compatible object: paces, counts, optionally adds simulated latency."""

    def __init__(
        self,
        inner: Any,
        *,
        pacer: Pacer | None = None,
        log: CallLog | None = None,
        latency: float = 0.0,
    ) -> None:
        self.inner = inner
        self.pacer = pacer or Pacer()
        self.log = log if log is not None else CallLog()
        self.latency = latency  # simulated seconds per round trip (benchmark)

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        self.pacer.acquire()
        self.log.calls.append((method, uri))
        if self.latency:
            self.pacer.clock.sleep(self.latency)
        return self.inner.request(uri, method, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # timeout, redirect_codes, ... of the inner
        return getattr(self.inner, name)


def authorized_http(credentials: Credentials, timeout: float = 60.0) -> Any:
    """httplib2 with a timeout (a stalled call fails and is retried, never hangs),
    authorised by `credentials` (refreshed by google-auth when they can be)."""
    return google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
