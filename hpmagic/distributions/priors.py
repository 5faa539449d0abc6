"""The unbounded kinds with a prior: ``normal(mu, sigma)`` and ``lognormal(mu, sigma)``.

Their unit interval is the prior's cumulative probability, kept off 0 and 1 (whose quantiles
are infinite), so draws reach ``mu ± 7.03 sigma``; a prior whose draws overflow a float (or,
for a lognormal, whose ``exp`` overflows or underflows) is refused when made, with a ``fix``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from .._format import fmt_arg
from ..errors import SpaceError
from .base import TINY, Distribution

__all__ = ["Normal", "LogNormal"]

_EPS = 1e-12
_STD_NORMAL = NormalDist()
_Z_MAX = _STD_NORMAL.inv_cdf(1 - _EPS)  # how far normal draws reach, in sigmas (u is clipped to [_EPS, 1 - _EPS])
_LOG_TINY, _LOG_HUGE = math.log(sys.float_info.min), math.log(sys.float_info.max)


@dataclass(frozen=True)
class Normal(Distribution):
    """``normal(mu, sigma)``: an unbounded float with a Gaussian prior."""

    mu: float
    sigma: float
    kind = "normal"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mu) and math.isfinite(self.sigma)):
            raise SpaceError(f"mu and sigma must be finite, but got mu={self.mu!r}, sigma={self.sigma!r}")
        if not self.sigma > 0:
            raise SpaceError(f"`sigma > 0` must hold, but got sigma={fmt_arg(self.sigma)}")
        if not (math.isfinite(self.mu - _Z_MAX * self.sigma) and math.isfinite(self.mu + _Z_MAX * self.sigma)):
            limit = (sys.float_info.max - abs(self.mu)) / _Z_MAX
            raise SpaceError(
                f"{self.describe()} draws values out to mu ± {_Z_MAX:.2f} sigma, which overflows a float",
                f"use a sigma below {limit:.3g}",
            )

    def from_unit(self, u: float) -> float:
        """The prior's quantile at ``u`` (kept off 0 and 1, whose quantiles are infinite)."""
        u = min(max(float(u), _EPS), 1 - _EPS)
        return float(self.mu + self.sigma * _STD_NORMAL.inv_cdf(u))

    def to_unit(self, value: Any) -> float:
        """The prior's cumulative probability at ``value``."""
        return _STD_NORMAL.cdf((float(value) - self.mu) / self.sigma)

    def contains(self, value: Any) -> bool:
        """True for any finite real number (a normal prior has no bounds)."""
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    def grid(self, points: int) -> list[float]:
        """``points`` evenly spaced quantiles of the prior, away from its infinite tails."""
        return [self.from_unit((i + 0.5) / points) for i in range(points)]

    def describe(self) -> str:
        """The annotation that writes this distribution, e.g. ``normal(0, 1)``."""
        return f"{self.kind}({fmt_arg(self.mu)}, {fmt_arg(self.sigma)})"


@dataclass(frozen=True)
class LogNormal(Normal):
    """``lognormal(mu, sigma)``: a positive float whose logarithm is ``normal(mu, sigma)``."""

    kind = "lognormal"
    log = True

    def __post_init__(self) -> None:
        super().__post_init__()
        low, high = self.mu - _Z_MAX * self.sigma, self.mu + _Z_MAX * self.sigma
        if _LOG_TINY <= low and high <= _LOG_HUGE:
            return
        beyond = (
            f"up to exp({high:.4g}), beyond the largest float"
            if high > _LOG_HUGE
            else (f"down to exp({low:.4g}), below the smallest normal positive float")
        )
        hint = (
            f"for values around {fmt_arg(self.mu)}, write lognormal({math.log(self.mu):.3g}, ...); "
            if self.mu > 1
            else ""
        )
        raise SpaceError(
            f"{self.describe()} draws exp(normal({fmt_arg(self.mu)}, {fmt_arg(self.sigma)})), {beyond}",
            f"mu and sigma are those of the value's logarithm: {hint}keep mu ± {_Z_MAX:.2f} sigma within "
            f"[{_LOG_TINY:.1f}, {_LOG_HUGE:.1f}]",
        )

    def from_unit(self, u: float) -> float:
        """``exp`` of the normal quantile at ``u``."""
        return float(math.exp(super().from_unit(u)))

    def to_unit(self, value: Any) -> float:
        """The normal cumulative probability of ``log(value)``."""
        return super().to_unit(math.log(max(float(value), TINY)))

    def contains(self, value: Any) -> bool:
        """True for a finite positive number."""
        return super().contains(value) and value > 0
