"""Two tests in plain numpy (no scipy): Kolmogorov-Smirnov two-sample and exact binomial.

Both return ``(statistic, p_value)``; both are what a reader would get from
scipy.stats (``ks_2samp(method="asymp")``, ``binomtest``) to a few digits.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def kolmogorov_q(lam: float) -> float:
    """P(K > lam) for the Kolmogorov distribution (the series, Numerical Recipes' probks)."""
    if lam < 1e-3:
        return 1.0
    k = np.arange(1, 101)
    terms = 2.0 * (-1.0) ** (k - 1) * np.exp(-2.0 * (k * lam) ** 2)
    return float(min(max(terms.sum(), 0.0), 1.0))


def ks_2samp(a: ArrayLike, b: ArrayLike) -> tuple[float, float]:
    """Two-sample KS statistic D = max |F_a - F_b| and its asymptotic p-value.

    Ties are allowed (discrete quantities such as crop heights make the test
    conservative, never more likely to cry "different").
    """
    x, y = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    if x.size == 0 or y.size == 0:
        raise ValueError(f"Expected two non-empty samples; received sizes {x.size} and {y.size}")
    grid = np.concatenate([x, y])
    fx = np.searchsorted(x, grid, side="right") / x.size
    fy = np.searchsorted(y, grid, side="right") / y.size
    d = float(np.max(np.abs(fx - fy)))
    en = math.sqrt(x.size * y.size / (x.size + y.size))
    return d, kolmogorov_q((en + 0.12 + 0.11 / en) * d)


def _log_pmf(k: np.ndarray, n: int, p: float) -> np.ndarray:
    logc = (
        math.lgamma(n + 1)
        - np.vectorize(math.lgamma)(k + 1.0)
        - np.vectorize(math.lgamma)(n - k + 1.0)
    )
    with np.errstate(divide="ignore"):
        return logc + k * np.log(p) + (n - k) * np.log1p(-p)


def binom_test(k: int, n: int, p: float) -> tuple[float, float]:
    """Exact two-sided binomial test of k successes in n trials against rate p.

    Statistic: the observed rate k/n. p-value: the total probability of
    outcomes no more likely than k (scipy's "two-sided" definition).
    """
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"Expected 0 <= k <= n and n > 0; received k={k}, n={n}")
    if p in (0.0, 1.0):
        expected = 0 if p == 0.0 else n
        return k / n, 1.0 if k == expected else 0.0
    ks = np.arange(n + 1, dtype=float)
    logp = _log_pmf(ks, n, p)
    observed = logp[k]
    # scipy's rule: outcomes whose pmf <= pmf(k) * (1 + 1e-7).
    pval = float(np.exp(logp[logp <= observed + 1e-7]).sum())
    return k / n, min(pval, 1.0)
