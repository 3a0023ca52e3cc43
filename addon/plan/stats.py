"""The small statistics the insights rest on: pure functions on lists of numbers.

One quantile definition everywhere: the Kaplan–Meier inverse, t = the smallest observed
value with S(t) <= 1 - p, and the midpoint to the next observed value when S(t) equals
1 - p exactly (as R's `survival` does). With no censoring this is the ordinary sample
quantile that averages at the discontinuities (Hyndman–Fan type 2): the median of 1..4 is
2.5, the p80 of 1..10 is 8.5.

Intervals (95 %):
- proportions: Wilson score interval (good coverage at small n, never outside [0, 1]);
- medians of fully observed values: the distribution-free interval from order statistics,
  [x(j), x(n-j+1)] with j the largest rank such that P(Binomial(n, 1/2) < j) <= 2.5 %
  (coverage >= 95 %; below n = 6 no such j exists and the interval is the data's range);
- medians of right-censored values: Brookmeyer–Crowley, the observed times t whose
  Kaplan–Meier S(t) lies within 1/2 +- 1.96 * Greenwood SE; an upper bound the curve never
  reaches is None ("not reached").
No randomness: the same data always give the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    k: int
    n: int
    rate: float | None
    low: float | None
    high: float | None


def wilson(k: int, n: int, z: float = Z95) -> Proportion:
    """k successes in n: the share and its Wilson score interval (None when n == 0)."""
    if n <= 0:
        return Proportion(k, n, None, None, None)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k <= 0 else min(p, max(0.0, centre - half))
    high = 1.0 if k >= n else max(p, min(1.0, centre + half))
    return Proportion(k, n, p, low, high)


@dataclass(frozen=True)
class Summary:
    """Median and p80 of day counts, some of which may be lower bounds (censored)."""

    n: int
    censored: int
    median: float | None
    p80: float | None
    median_low: float | None
    median_high: float | None
    median_reached: bool  # False: over half are still running; median is a lower bound
    p80_reached: bool


def _km_curve(
    values: Sequence[float], censored: Sequence[bool]
) -> list[tuple[float, float, float]]:
    """(time, S(time), Greenwood variance of S) at each distinct time with an event."""
    pairs = sorted(zip(values, censored, strict=True))
    at_risk = len(pairs)
    surv, green = 1.0, 0.0
    out: list[tuple[float, float, float]] = []
    i = 0
    while i < len(pairs):
        t = pairs[i][0]
        events = lost = 0
        while i < len(pairs) and pairs[i][0] == t:
            if pairs[i][1]:
                lost += 1
            else:
                events += 1
            i += 1
        if events:
            surv *= 1 - events / at_risk
            if at_risk > events:
                green += events / (at_risk * (at_risk - events))
            out.append((t, surv, surv * surv * green))
        at_risk -= events + lost
    return out


def _km_quantile(curve: list[tuple[float, float, float]], p: float) -> float | None:
    target = 1 - p
    for idx, (t, s, _var) in enumerate(curve):
        if s <= target + 1e-12:
            if abs(s - target) <= 1e-12 and idx + 1 < len(curve):
                return (t + curve[idx + 1][0]) / 2
            return t
    return None


def quantile(values: Sequence[float], p: float) -> float | None:
    """The sample quantile (type 2) of fully observed values; None for no values."""
    if not values:
        return None
    return _km_quantile(_km_curve(values, [False] * len(values)), p)


def median_ci(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Distribution-free 95 % interval for the median of fully observed values."""
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return None, None
    j, cum = 0, 0.0
    # largest j with P(B <= j - 1) <= 0.025, B ~ Binomial(n, 1/2)
    for r in range(n):
        cum += math.comb(n, r) / 2**n
        if cum > 0.025:
            break
        j = r + 1
    if j == 0:
        return xs[0], xs[-1]
    return xs[j - 1], xs[n - j]


def summarise(values: Sequence[float], censored: Sequence[bool] | None = None) -> Summary:
    """Median, p80 and a 95 % interval for the median. `censored[i]`: values[i] is only a
    lower bound (the thing was still running). Kaplan–Meier when anything is censored."""
    flags = list(censored) if censored is not None else [False] * len(values)
    n, n_cens = len(values), sum(flags)
    if n == 0:
        return Summary(0, 0, None, None, None, None, True, True)
    if n_cens == 0:
        low, high = median_ci(values)
        return Summary(n, 0, quantile(values, 0.5), quantile(values, 0.8), low, high, True, True)
    curve = _km_curve(values, flags)
    longest = float(max(values))
    med, p80 = _km_quantile(curve, 0.5), _km_quantile(curve, 0.8)
    lo = hi = None
    for t, s, var in curve:
        half = Z95 * math.sqrt(var)
        if lo is None and s <= 0.5 + half + 1e-12:
            lo = t
        if hi is None and s < 0.5 - half - 1e-12:
            hi = t
    return Summary(
        n,
        n_cens,
        med if med is not None else longest,
        p80 if p80 is not None else longest,
        lo if lo is not None else (med if med is not None else longest),
        hi,
        med is not None,
        p80 is not None,
    )
