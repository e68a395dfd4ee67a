"""Row orders whose every prefix is a stratified sample.

Subsampling and training-row caps both take a *prefix* of one seeded order, so a
smaller sample is always a subset of a larger one for the same seed (learning curves
then add data rather than swap it), and every prefix keeps the class proportions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def stratified_order(
    labels: np.ndarray | pd.Series | None, rng: np.random.Generator, n: int | None = None
) -> np.ndarray:
    """Return a permutation of ``range(n)`` whose every prefix is (nearly) stratified.

    Parameters
    ----------
    labels : array-like or None
        Class label per row; None orders rows uniformly at random (regression).
    rng : numpy.random.Generator
        Source of randomness; the same generator state gives the same order.
    n : int, default=None
        Number of rows when ``labels`` is None.

    Returns
    -------
    numpy.ndarray of int
        Row positions. In any prefix of length m, class c holds ``ceil(m * n_c / n)``
        rows give or take one, and the first ``n_classes`` rows hold one row of each
        class, so even a tiny sample sees every class.
    """
    if labels is None:
        if n is None:
            raise ValueError("stratified_order needs labels or n")
        return rng.permutation(n)
    labels = np.asarray(labels)
    n = len(labels)
    permutation = rng.permutation(n)
    codes, uniques = pd.factorize(labels[permutation], use_na_sentinel=False)
    counts = np.bincount(codes, minlength=len(uniques))
    # Rank of each row within its class (in permuted order): the k-th row of class c
    # gets key k / n_c, so classes interleave in proportion to their size.
    by_class = np.argsort(codes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[by_class] = np.arange(n) - np.repeat(starts, counts)
    key = rank / counts[codes]
    # Equal keys across classes are broken by a random class order, then by position.
    class_tiebreak = rng.permutation(len(uniques))[codes]
    order = np.lexsort((np.arange(n), class_tiebreak, key))
    return permutation[order]
