"""Bringing a singling-out count on the control part to the training part's size.

Whether a predicate singles out depends on the size of the table: one that matches a share w of
the population matches exactly one of n records with probability ``n w (1 - w)^(n - 1)`` (Cohen
and Nissim, 2020). The control part is usually smaller than the training part (a fifth of the
records against four fifths), so the predicates written from the synthetic table single out
*fewer* control records than they would of as many people as the training part holds, and an
uncorrected comparison would show a leak where there is none. The weights are unknown, so the
count at the training size is a model's estimate. Two models are here:

* ``gamma`` (the report's): the counts of every predicate on the control part are Poisson draws
  of ``n_control w``; a gamma distribution of weights is fitted to them (maximum likelihood of
  the negative binomial they then follow), each predicate's weight gets its posterior from its
  own count, and the expected successes at the training size are summed in closed form:
  ``E[n w e^(-n w)] = n a b^a / (b + n)^(a + 1)`` for a gamma(a, b) posterior.
* ``paper``: Giomi et al. (PETS 2023, section 4.1) and their implementation, anonymeter, assume
  weights spread evenly over ``[0, w_eff]``, so that n records are singled out
  ``S(n) = norm x (1 - (n w_eff + 1) (1 - w_eff)^n) / (n + 1)`` times, fit S to the successes
  counted on random sub-samples of the control part (ten sizes from 1 000 records to the whole
  part, five draws each) and multiply the control count by ``S(n_training) / S(n_control)``.
  Here the least-squares fit is a one-dimensional search over ``w_eff`` (``norm`` is linear and
  cancels in the ratio). It is kept to set Bulle's figures beside anonymeter's.

Which is nearer the truth was measured on adult (``benchmarks/singling_out_size_bench.py``):
12 000 training, 3 000 control and 12 000 *other* records, whose count is the truth the
correction estimates, with the attack's predicates written from a ``cart`` or ``avatar`` table
fitted on the training records. The paper's curve missed the truth by 24 % on average and by 29
to 44 % (always downwards, so the risk came out too high) on ``avatar``; the gamma model by 11 %
on average, 4 to 7 % on ``avatar`` (docs/synthesis_report.md).
"""

from __future__ import annotations

import numpy as np

SIZES = 10  # sub-sample sizes of the control part (anonymeter's n_meas)
REPEATS = 5  # draws per size (anonymeter's n_repeat)
SMALLEST = 1000  # the smallest sub-sample (anonymeter's), or the whole part if it is smaller


MODELS = ("gamma", "paper")


def singling_integral(n: np.ndarray | float, w: float) -> np.ndarray:
    """``integral_0^w n v (1 - v)^(n - 1) dv``: expected singling outs of n records by a
    predicate of a weight spread evenly over [0, w], times w."""
    n = np.asarray(n, dtype=np.float64)
    return (1.0 - (n * w + 1.0) * np.exp(n * np.log1p(-w))) / (n + 1.0)


def fit_weight(sizes: np.ndarray, successes: np.ndarray) -> float:
    """``w_eff`` of the least-squares fit of ``norm x singling_integral(sizes, w_eff)``."""
    y = np.asarray(successes, dtype=np.float64)
    if not y.any():
        return 1.0 / float(np.max(sizes))

    def sse(w: float) -> float:
        f = singling_integral(sizes, w)
        norm = float(f @ y) / float(f @ f) if f.any() else 0.0
        return float(np.sum((y - norm * f) ** 2))

    grid = np.exp(np.linspace(np.log(1e-9), np.log(0.999), 400))
    errors = np.array([sse(w) for w in grid])
    best = int(np.argmin(errors))
    lo, hi = np.log(grid[max(0, best - 1)]), np.log(grid[min(len(grid) - 1, best + 1)])
    for _ in range(60):  # golden-section refinement between the grid neighbours
        a = hi - 0.618 * (hi - lo)
        b = lo + 0.618 * (hi - lo)
        if sse(np.exp(a)) <= sse(np.exp(b)):
            hi = b
        else:
            lo = a
    return float(np.exp(0.5 * (lo + hi)))


def subsample_successes(
    bits: np.ndarray, n_rows: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Sizes and singling-out counts of the predicates on random sub-samples of the control
    part, given the packed bit sets of the rows each predicate matches there."""
    smallest = min(SMALLEST, n_rows)
    sizes, successes = [], []
    for size in np.linspace(smallest, n_rows, SIZES).astype(int):
        for _ in range(REPEATS):
            keep = np.zeros(bits.shape[1] * 8, dtype=bool)
            keep[rng.choice(n_rows, size, replace=False)] = True
            counts = np.bitwise_count(bits & np.packbits(keep)).sum(axis=1)
            sizes.append(size)
            successes.append(int(np.sum(counts == 1)))
    return np.array(sizes), np.array(successes)


def size_factor(bits: np.ndarray, n_control: int, n_target: int, rng: np.random.Generator) -> float:
    """The factor bringing the control successes to ``n_target`` records (1 if the sizes agree)."""
    if n_control == n_target or len(bits) == 0:
        return 1.0
    sizes, successes = subsample_successes(bits, n_control, rng)
    w = fit_weight(sizes, successes)
    at_control = float(singling_integral(n_control, w))
    if at_control <= 0:
        return 1.0
    return float(singling_integral(n_target, w)) / at_control


def gamma_successes(counts: np.ndarray, n_control: int, n_target: int) -> float:
    """Expected number of predicates that single out of ``n_target`` population records, from
    their match counts on the ``n_control`` records of the control part (the gamma model)."""
    from scipy.optimize import minimize
    from scipy.special import gammaln

    c = np.asarray(counts, dtype=np.float64)
    if n_control == n_target or len(c) == 0:
        return float(np.sum(c == 1))
    if not c.any():  # no predicate matched anybody: nothing to scale
        return 0.0

    def nll(p: np.ndarray) -> float:
        a, b = np.exp(p)
        ll = (
            gammaln(a + c)
            - gammaln(a)
            - gammaln(c + 1)
            + a * np.log(b / (b + n_control))
            + c * np.log(n_control / (b + n_control))
        )
        return float(-ll.sum())

    fit = minimize(nll, x0=np.array([0.0, np.log(n_control)]), method="Nelder-Mead")
    a, b = np.exp(fit.x)
    alpha, beta = a + c, b + n_control
    log_terms = (
        np.log(n_target)
        + np.log(alpha)
        + alpha * np.log(beta)
        - (alpha + 1) * np.log(beta + n_target)
    )
    expected = float(np.sum(np.exp(log_terms)))
    return expected if np.isfinite(expected) else float(np.sum(c == 1))


def control_successes(
    bits: np.ndarray, n_control: int, n_target: int, rng: np.random.Generator, model: str
) -> float:
    """Singling-out successes on the control part brought to ``n_target`` records, from the
    packed bit sets of the control rows each predicate matches."""
    from bulle.synthesis.privacy.predicates import count_bits

    counts = count_bits(bits, n_control)
    raw = float(np.sum(counts == 1))
    if model == "gamma":
        return gamma_successes(counts, n_control, n_target)
    return raw * size_factor(bits, n_control, n_target, rng) if raw else 0.0
