"""The HTTP layer every Google client shares: quota pacing, call counting, timeouts.

Google's Sheets quota is 60 read requests and 60 write requests a minute per user per
project (Sheets API "Usage limits"), and for background sync the "user" is the one
service account across every instance. In production the Cloud Tasks queue's rate paces
the instances; inside one process a sliding window per bucket (Sheets reads, Sheets
writes) keeps any 60-second span at or under its limit, so a sync of many MAPs slows
down instead of drawing 429s. Drive calls are not paced here: Drive's per-user limit
(thousands a minute) is far above what a sync makes, and its rate-limit answers are
retried like any other. Retries of 429 and 5xx with randomised exponential backoff are
the client library's own (`execute(num_retries=...)`).

The clock and sleep are parameters: tests and the benchmark pass a simulated clock, so
pacing and a simulated per-call latency cost no real time.

Threads: `httplib2.Http` is not thread-safe (google-api-python-client, "Thread Safety":
"each thread that you are making requests from must have its own instance of
httplib2.Http()"), and the web service answers many add-on clicks at once. So every thread
gets its own connection (`ThreadLocalHttp`), while the pacer and the call log are shared
and locked only for the instant it takes to book a slot: nothing here serialises Google
calls, a thread that must wait for quota sleeps outside the lock.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials

REQUESTS_PER_MINUTE = 60  # Sheets: reads, and writes, per user per project ("Usage limits")


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
    """At most `limit` calls in any `window` seconds per bucket (a sliding window over
    call starts): Sheets reads and Sheets writes are metered apart."""

    clock: Clock = field(default_factory=Clock)
    limit: int = REQUESTS_PER_MINUTE
    window: float = 60.0
    waited: float = 0.0  # seconds spent waiting for quota, for reports and the benchmark
    _starts: dict[str, list[float]] = field(default_factory=dict)  # booked starts, sorted
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def acquire(self, bucket: str = "") -> None:
        """Book the earliest start that keeps every window of `bucket` at or under the
        limit, then wait for it outside the lock (other threads book later slots
        meanwhile)."""
        with self._lock:
            now = self.clock.now()
            starts = self._starts.setdefault(bucket, [])
            expired = bisect.bisect_right(starts, now - self.window)
            del starts[:expired]
            start = now
            if len(starts) >= self.limit:
                start = max(now, starts[-self.limit] + self.window)
            bisect.insort(starts, start)
            wait = start - now
            self.waited += wait
        if wait > 0:
            self.clock.sleep(wait)


@dataclass
class CallLog:
    """What went over the wire: one entry per HTTP round trip (a batch is one)."""

    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, uri)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, uri: str) -> None:
        with self._lock:
            self.calls.append((method, uri))

    def __len__(self) -> int:
        return len(self.calls)


def quota_bucket(uri: str, method: str) -> str:
    """Which per-user quota a call draws on: "sheets-read", "sheets-write", or "" (not
    paced here)."""
    if "/v4/spreadsheets" not in uri:
        return ""
    return "sheets-read" if method.upper() == "GET" else "sheets-write"


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
        bucket = quota_bucket(uri, method)
        if bucket:
            self.pacer.acquire(bucket)
        self.log.add(method, uri)
        if self.latency:
            self.pacer.clock.sleep(self.latency)
        return self.inner.request(uri, method, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # timeout, redirect_codes, ... of the inner
        return getattr(self.inner, name)


class ThreadLocalHttp:
    """An httplib2-compatible object that sends each thread's calls through that thread's
    own connection, made on first use by `make` (one Http per thread, as the client
    library's thread-safety page asks). The credentials behind them may be shared:
    google-auth refreshes them under its own lock."""

    def __init__(self, make: Callable[[], Any], timeout: float | None = None) -> None:
        self._make = make
        self._local = threading.local()
        self.timeout = timeout  # what httplib2.Http.timeout says, for the client library

    def _http(self) -> Any:
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = self._make()
        return http

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        return self._http().request(uri, method, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # credentials, redirect_codes, ... of one
        return getattr(self._http(), name)


def authorized_http(credentials: Credentials, timeout: float = 60.0) -> Any:
    """httplib2 with a timeout (a stalled call fails and is retried, never hangs),
    authorised by `credentials` (refreshed by google-auth when they can be), one
    connection per thread."""
    return ThreadLocalHttp(
        lambda: google_auth_httplib2.AuthorizedHttp(
            credentials, http=httplib2.Http(timeout=timeout)
        ),
        timeout,
    )
