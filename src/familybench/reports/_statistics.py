"""Statistics across datasets: ranks, Friedman/Nemenyi, Wilcoxon–Holm, bootstrap intervals.

The input is one normalised score per dataset × config (higher is better). Everything here is
numbers: :func:`compute_statistics` returns a :class:`Statistics` of plain data and DataFrames,
:func:`statistics_csv` flattens it into one tidy table. Rendering lives in
``_statistics_section``. The statistical libraries are imported inside the functions so that
importing familybench stays fast.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

ALPHA = 0.05
#: A config (or family) missing on more than this share of the datasets is left out.
MAX_MISSING = 0.2
#: Datasets needed for the Friedman test, the critical-difference diagram and the bootstrap CIs.
MIN_DATASETS_FRIEDMAN = 5
#: Configs needed for the Friedman test and the critical-difference diagram.
MIN_CONFIGS_FRIEDMAN = 3
#: Datasets needed for the pairwise Wilcoxon signed-rank tests between families.
MIN_DATASETS_WILCOXON = 8
N_RESAMPLES = 9999
CI_ALL_EQUAL = "CI undefined (all equal)"

_REQUIRED = ("dataset", "config", "family", "score", "representative")
_CONFIG_COLUMNS = [
    "config",
    "family",
    "n_datasets",
    "mean_rank",
    "mean_score",
    "ci_low",
    "ci_high",
    "ci_note",
]
_PAIR_COLUMNS = [
    "family_a",
    "family_b",
    "n_datasets",
    "wins",
    "ties",
    "losses",
    "statistic",
    "p_value",
    "p_holm",
    "significant",
    "ahead",
]


@dataclass(frozen=True)
class Statistics:
    """Everything the statistics section shows, as plain data.

    Attributes
    ----------
    seed : int
        Seed of the bootstrap resampling.
    matrix : pandas.DataFrame
        Scores used for the config-level statistics: kept datasets (rows) × kept configs.
    configs : pandas.DataFrame
        One row per kept config, best mean rank first: ``config``, ``family``, ``n_datasets``,
        ``mean_rank`` (1 = best, ties averaged), ``mean_score``, ``ci_low``, ``ci_high``
        (bootstrap BCa 95 %; NaN when not computed) and ``ci_note`` (why not, or "").
    friedman_statistic, friedman_p : float
        Friedman chi-square and p-value over the kept configs; NaN when not run.
    nemenyi : pandas.DataFrame or None
        Nemenyi p-values, configs × configs; None when the Friedman test was not run.
    cd : float or None
        Nemenyi critical difference in mean rank at ``ALPHA`` (from autorank).
    family_matrix : pandas.DataFrame
        Representative scores used between families: kept datasets × kept families.
    families : pandas.DataFrame
        One row per kept family, best first: ``family``, ``n_datasets``, ``mean_rank``,
        ``mean_score`` (of its representative configs).
    pairs : pandas.DataFrame
        One row per family pair (``family_a`` ranked ahead of ``family_b``): ``n_datasets``,
        ``wins``, ``ties``, ``losses`` (of ``family_a``, by score difference), ``statistic``,
        ``p_value``, ``p_holm``, ``significant`` (``p_holm < ALPHA``) and ``ahead`` (the family
        ahead in the signed ranks; None when every difference is zero). Empty when not run.
    p_holm : pandas.DataFrame
        Holm-adjusted p-values as a symmetric families × families matrix (NaN diagonal).
    dropped : pandas.DataFrame
        What the missing-scores rule left out: ``level`` (``config``, ``dataset``, ``family``,
        ``dataset (families)``), ``name`` and ``reason``.
    notes : tuple of str
        One line per thing not shown, saying why.
    """

    seed: int
    matrix: pd.DataFrame
    configs: pd.DataFrame
    friedman_statistic: float
    friedman_p: float
    nemenyi: pd.DataFrame | None
    cd: float | None
    family_matrix: pd.DataFrame
    families: pd.DataFrame
    pairs: pd.DataFrame
    p_holm: pd.DataFrame
    dropped: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: True when families were scored by their members chosen per seed (``family_scores``),
    #: False when by one representative config per dataset
    family_by_members: bool = False

    @property
    def n_datasets(self) -> int:
        """Datasets that enter the config-level statistics."""
        return len(self.matrix)

    @property
    def n_family_datasets(self) -> int:
        """Datasets that enter the comparison of families."""
        return len(self.family_matrix)


def _check(scores: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _REQUIRED if c not in scores.columns]
    if missing:
        raise ValueError(f"scores lacks column(s) {', '.join(missing)}")
    scores = scores.assign(
        dataset=scores["dataset"].astype(str),
        config=scores["config"].astype(str),
        score=pd.to_numeric(scores["score"], errors="coerce"),
    )
    repeated = scores.duplicated(["dataset", "config"])
    if repeated.any():
        first = scores.loc[repeated].iloc[0]
        raise ValueError(
            f"scores has more than one row for dataset {first['dataset']!r} × config "
            f"{first['config']!r}"
        )
    return scores


def _missing_rule(matrix: pd.DataFrame, level: str) -> tuple[pd.DataFrame, list[dict]]:
    """Columns missing on more than ``MAX_MISSING`` of the rows go, then rows with any gap left."""
    n = len(matrix)
    counts = matrix.isna().sum()
    dropped = []
    for name, count in counts.items():
        if n and count / n > MAX_MISSING:
            share = f"{100 * count / n:.0f} %, more than {100 * MAX_MISSING:.0f} %"
            reason = f"no score on {count} of {n} datasets ({share})"
            dropped.append({"level": level, "name": name, "reason": reason})
    kept = matrix.drop(columns=[d["name"] for d in dropped])
    rows = "dataset" if level == "config" else "dataset (families)"
    noun = "config" if level == "config" else "family"
    for dataset, row in kept.iterrows():
        absent = [str(c) for c in row.index[row.isna()]]
        if absent:
            reason = f"no score for {noun}{'s' if len(absent) > 1 else ''} {', '.join(absent)}"
            dropped.append({"level": rows, "name": dataset, "reason": reason})
    return kept.dropna(axis=0, how="any"), dropped


def _mean_ranks(matrix: pd.DataFrame) -> pd.Series:
    return matrix.rank(axis=1, ascending=False, method="average").mean(axis=0)


def _bootstrap(values: np.ndarray, seed: int) -> tuple[float, float, str]:
    from scipy import stats

    if np.ptp(values) == 0:
        return np.nan, np.nan, CI_ALL_EQUAL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a near-degenerate BCa warns and gives NaN
        result = stats.bootstrap(
            (values,),
            np.mean,
            method="BCa",
            n_resamples=N_RESAMPLES,
            confidence_level=1 - ALPHA,
            rng=np.random.default_rng(seed),
        )
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if np.isnan(low) or np.isnan(high):
        return np.nan, np.nan, "CI undefined (degenerate resamples)"
    return low, high, ""


def _config_table(matrix: pd.DataFrame, families: dict, seed: int, with_ci: bool) -> pd.DataFrame:
    ranks = _mean_ranks(matrix) if len(matrix) else pd.Series(np.nan, index=matrix.columns)
    rows = []
    for config in matrix.columns:
        values = matrix[config].to_numpy(float)
        low, high, note = (
            _bootstrap(values, seed)
            if with_ci
            else (np.nan, np.nan, f"needs {MIN_DATASETS_FRIEDMAN} datasets")
        )
        rows.append(
            {
                "config": config,
                "family": families.get(config),
                "n_datasets": len(values),
                "mean_rank": float(ranks[config]),
                "mean_score": float(values.mean()) if len(values) else np.nan,
                "ci_low": low,
                "ci_high": high,
                "ci_note": note,
            }
        )
    return _best_first(pd.DataFrame(rows, columns=_CONFIG_COLUMNS), "config")


def _best_first(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table.sort_values(
        ["mean_rank", "mean_score", name], ascending=[True, False, True], kind="mergesort"
    ).reset_index(drop=True)


def _friedman(matrix: pd.DataFrame) -> tuple[float, float, pd.DataFrame | None, float | None]:
    import autorank
    import scikit_posthocs
    from scipy import stats

    with warnings.catch_warnings():  # every dataset tied: NaN, said in the section
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.friedmanchisquare(*(matrix[c].to_numpy(float) for c in matrix.columns))
    nemenyi = scikit_posthocs.posthoc_nemenyi_friedman(matrix.reset_index(drop=True))
    nemenyi.index.name = nemenyi.columns.name = None
    # autorank prints the test mode it was forced into, and its normality checks (unused here)
    # warn on constant columns.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        ranked = autorank.autorank(
            matrix.reset_index(drop=True).rename_axis(columns=None),
            alpha=ALPHA,
            force_mode="nonparametric",
        )
    return float(result.statistic), float(result.pvalue), nemenyi, float(ranked.cd)


def _family_matrix(scores: pd.DataFrame, datasets: list[str]) -> pd.DataFrame:
    families = sorted(scores["family"].dropna().astype(str).unique())
    chosen = scores[scores["representative"].fillna(False).astype(bool) & scores["family"].notna()]
    chosen = chosen.assign(family=chosen["family"].astype(str))
    repeated = chosen.duplicated(["dataset", "family"])
    if repeated.any():
        first = chosen.loc[repeated].iloc[0]
        raise ValueError(
            f"more than one representative config for family {first['family']!r} on dataset "
            f"{first['dataset']!r}"
        )
    matrix = chosen.pivot(index="dataset", columns="family", values="score")
    return matrix.reindex(index=datasets, columns=families).astype(float)


def _given_family_matrix(family_scores: pd.DataFrame, datasets: list[str]) -> pd.DataFrame:
    frame = family_scores.assign(dataset=family_scores["dataset"].astype(str),
                                 family=family_scores["family"].astype(str))
    repeated = frame.duplicated(["dataset", "family"])
    if repeated.any():
        first = frame.loc[repeated].iloc[0]
        raise ValueError(f"family_scores has more than one row for family {first['family']!r} on dataset "
                         f"{first['dataset']!r}")
    matrix = frame.pivot(index="dataset", columns="family", values="score")
    return matrix.reindex(index=datasets, columns=sorted(frame["family"].unique())).astype(float)


def _pairs(matrix: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    rows = []
    for a, b in combinations(order, 2):
        x, y = matrix[a].to_numpy(float), matrix[b].to_numpy(float)
        diff = x - y
        with warnings.catch_warnings():  # every difference zero: p = 1, said as "tied"
            warnings.simplefilter("ignore", RuntimeWarning)
            test = stats.wilcoxon(x, y, zero_method="wilcox", alternative="two-sided")
        nonzero = diff[diff != 0]
        signed = np.sign(nonzero) @ stats.rankdata(np.abs(nonzero)) if len(nonzero) else 0.0
        rows.append(
            {
                "family_a": a,
                "family_b": b,
                "n_datasets": len(diff),
                "wins": int((diff > 0).sum()),
                "ties": int((diff == 0).sum()),
                "losses": int((diff < 0).sum()),
                "statistic": float(test.statistic),
                "p_value": float(test.pvalue),
                "ahead": a if signed > 0 else (b if signed < 0 else None),
            }
        )
    tested = [c for c in _PAIR_COLUMNS if c not in ("p_holm", "significant")]
    pairs = pd.DataFrame(rows, columns=tested)
    pairs["p_holm"] = multipletests(pairs["p_value"].to_numpy(), alpha=ALPHA, method="holm")[1]
    pairs["significant"] = pairs["p_holm"] < ALPHA
    return pairs[_PAIR_COLUMNS]


def _holm_matrix(pairs: pd.DataFrame, families: list[str]) -> pd.DataFrame:
    matrix = pd.DataFrame(np.nan, index=families, columns=families)
    for row in pairs.itertuples():
        matrix.loc[row.family_a, row.family_b] = matrix.loc[row.family_b, row.family_a] = row.p_holm
    return matrix


def _too_few(n_configs: int, n_datasets: int, n_families: int, n_family_datasets: int) -> list[str]:
    notes, reasons = [], []
    if n_configs >= MIN_CONFIGS_FRIEDMAN and n_datasets < MIN_DATASETS_FRIEDMAN:
        reasons.append(
            f"{n_datasets} < {MIN_DATASETS_FRIEDMAN} datasets, so no Friedman test, "
            "critical-difference diagram or bootstrap confidence intervals"
        )
    elif 0 < n_configs < MIN_CONFIGS_FRIEDMAN and n_datasets < MIN_DATASETS_FRIEDMAN:
        reasons.append(
            f"{n_datasets} < {MIN_DATASETS_FRIEDMAN} datasets, so no bootstrap confidence intervals"
        )
    if n_families >= 2 and n_family_datasets < MIN_DATASETS_WILCOXON:
        reasons.append(
            f"{n_family_datasets} < {MIN_DATASETS_WILCOXON} datasets with a score for every "
            "family, so no pairwise Wilcoxon–Holm tests between families"
        )
    if reasons:
        notes.append(
            "Too few datasets to tell: "
            + "; ".join(reasons)
            + ". A test not run is not evidence of no difference."
        )
    if n_configs == 0:
        notes.append("No config has a score on enough datasets: nothing to compare.")
    elif n_configs == 1:
        notes.append("Only one config is left: nothing to rank or test.")
    elif n_configs < MIN_CONFIGS_FRIEDMAN:
        notes.append(
            f"Only {n_configs} configs: the Friedman test and the critical-difference diagram need "
            f"{MIN_CONFIGS_FRIEDMAN} or more."
        )
    if n_families == 1:
        notes.append("Only one family is left: no pairwise family tests.")
    elif n_families == 0 and n_configs > 0:
        notes.append(
            "No family has a representative score on enough datasets: no pairwise family tests."
        )
    return notes


def compute_statistics(scores: pd.DataFrame, *, seed: int = 0, family_scores: pd.DataFrame | None = None
                       ) -> Statistics:
    """Ranks, tests and intervals across datasets from one score per dataset × config.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per dataset × config with columns ``dataset``, ``config``, ``family``,
        ``score`` (normalised, higher is better, NaN = missing) and ``representative``
        (True for the one config per dataset × family that stands for the family).
    seed : int, default=0
        Seed of the bootstrap; every config's interval uses a generator seeded with it.
    family_scores : pandas.DataFrame, optional
        One row per dataset × family (``dataset``, ``family``, ``score``): the families'
        scores when they are not one representative config's (members chosen per seed on
        validation: ``bench.results.members``); then ``representative`` is not read.

    Returns
    -------
    Statistics
        Configs missing on more than 20 % of the datasets are left out, then datasets where a
        kept config is missing (likewise for families). The Friedman test, Nemenyi p-values and
        bootstrap intervals need 5 datasets (and the first two 3 configs); the Wilcoxon–Holm
        family pairs need 8. ``notes`` says what was not computed.

    Raises
    ------
    ValueError
        When a column is missing, a dataset × config appears twice, or a family has two
        representative configs on one dataset.
    """
    scores = _check(scores)
    datasets = sorted(scores["dataset"].unique())
    families = {
        c: (None if pd.isna(f) else str(f))
        for c, f in scores.dropna(subset=["family"]).groupby("config")["family"].first().items()
    }
    full = (
        scores.pivot(index="dataset", columns="config", values="score")
        .reindex(datasets)
        .astype(float)
    )
    matrix, dropped = _missing_rule(full, "config")

    n_datasets, n_configs = matrix.shape
    enough = n_datasets >= MIN_DATASETS_FRIEDMAN
    configs = _config_table(matrix, families, seed, with_ci=enough)
    friedman_statistic = friedman_p = np.nan
    nemenyi = cd = None
    if enough and n_configs >= MIN_CONFIGS_FRIEDMAN:
        friedman_statistic, friedman_p, nemenyi, cd = _friedman(matrix)
        order = list(configs["config"])
        nemenyi = nemenyi.reindex(index=order, columns=order)

    by_family = (_family_matrix(scores, datasets) if family_scores is None
                 else _given_family_matrix(family_scores, datasets))
    family_matrix, family_dropped = _missing_rule(by_family, "family")
    dropped += family_dropped
    family_table = pd.DataFrame(
        {
            "family": family_matrix.columns,
            "n_datasets": len(family_matrix),
            "mean_rank": _mean_ranks(family_matrix).to_numpy() if len(family_matrix) else np.nan,
            "mean_score": family_matrix.mean(axis=0).to_numpy() if len(family_matrix) else np.nan,
        }
    )
    family_table = _best_first(family_table, "family")
    order = list(family_table["family"])
    if len(family_matrix) >= MIN_DATASETS_WILCOXON and len(order) >= 2:
        pairs = _pairs(family_matrix, order)
    else:
        pairs = pd.DataFrame(columns=_PAIR_COLUMNS)
    notes = _too_few(n_configs, n_datasets, len(order), len(family_matrix))
    return Statistics(
        seed=seed,
        matrix=matrix,
        configs=configs,
        friedman_statistic=friedman_statistic,
        friedman_p=friedman_p,
        nemenyi=nemenyi,
        cd=cd,
        family_matrix=family_matrix,
        families=family_table,
        pairs=pairs,
        p_holm=_holm_matrix(pairs, order),
        dropped=pd.DataFrame(dropped, columns=["level", "name", "reason"]),
        notes=tuple(notes),
        family_by_members=family_scores is not None,
    )


CSV_COLUMNS = [
    "kind",
    "name",
    "versus",
    "family",
    "n_datasets",
    "statistic",
    "p_value",
    "p_holm",
    "significant",
    "ci_low",
    "ci_high",
    "mean_rank",
    "mean_score",
    "wins",
    "ties",
    "losses",
    "note",
]


def statistics_csv(stats: Statistics) -> pd.DataFrame:
    """The statistics as one tidy table, one row per number-bearing item.

    Parameters
    ----------
    stats : Statistics
        From :func:`compute_statistics`.

    Returns
    -------
    pandas.DataFrame
        Columns ``CSV_COLUMNS``. ``kind`` is ``config`` (mean rank, mean score, CI; ``name`` is
        the config), ``family`` (mean rank of its representatives), ``friedman``, ``nemenyi``
        (config pair), ``wilcoxon_holm`` (family pair, counts from ``name``'s side),
        ``dropped_config``, ``dropped_dataset``, ``dropped_family`` or
        ``dropped_dataset_families`` (``note`` says why) or ``not_shown``.
    """
    rows = []
    for r in stats.configs.itertuples():
        rows.append(
            {
                "kind": "config",
                "name": r.config,
                "family": r.family,
                "n_datasets": r.n_datasets,
                "mean_rank": r.mean_rank,
                "mean_score": r.mean_score,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "note": r.ci_note,
            }
        )
    for r in stats.families.itertuples():
        rows.append(
            {
                "kind": "family",
                "name": r.family,
                "family": r.family,
                "n_datasets": r.n_datasets,
                "mean_rank": r.mean_rank,
                "mean_score": r.mean_score,
            }
        )
    if not np.isnan(stats.friedman_p) or stats.nemenyi is not None:
        rows.append(
            {
                "kind": "friedman",
                "name": "all configs",
                "n_datasets": stats.n_datasets,
                "statistic": stats.friedman_statistic,
                "p_value": stats.friedman_p,
                "significant": bool(stats.friedman_p < ALPHA),
                "note": f"Nemenyi critical difference {stats.cd:.4g}"
                if stats.cd is not None
                else "",
            }
        )
    if stats.nemenyi is not None:
        for a, b in combinations(stats.nemenyi.index, 2):
            p = float(stats.nemenyi.loc[a, b])
            rows.append(
                {
                    "kind": "nemenyi",
                    "name": a,
                    "versus": b,
                    "n_datasets": stats.n_datasets,
                    "p_value": p,
                    "significant": p < ALPHA,
                }
            )
    for r in stats.pairs.itertuples():
        rows.append(
            {
                "kind": "wilcoxon_holm",
                "name": r.family_a,
                "versus": r.family_b,
                "n_datasets": r.n_datasets,
                "statistic": r.statistic,
                "p_value": r.p_value,
                "p_holm": r.p_holm,
                "significant": bool(r.significant),
                "wins": r.wins,
                "ties": r.ties,
                "losses": r.losses,
                "note": f"ahead: {r.ahead}" if r.ahead else "all tied",
            }
        )
    for r in stats.dropped.itertuples():
        kind = "dropped_" + r.level.replace(" (families)", "_families")
        rows.append({"kind": kind, "name": r.name, "note": r.reason})
    for note in stats.notes:
        rows.append({"kind": "not_shown", "note": note})
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def corrected_ttest(differences, test_over_train: float) -> tuple[float, float]:
    """Nadeau and Bengio's (2003) corrected resampled t-test of paired score differences
    over repeated train/test splits of one dataset (two-sided).

    Splits drawn from one table overlap, so their differences are correlated and the plain
    paired t-test is too confident; the correction inflates the variance by ``n_test /
    n_train`` (scikit-learn's example "Statistical comparison of models using grid search"
    uses the same test). Returns ``(t, p)``; ``p`` is NaN with fewer than two splits.
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    k = len(d)
    if k < 2:
        return float("nan"), float("nan")
    variance = d.var(ddof=1) * (1.0 / k + test_over_train)
    if variance == 0:
        return (0.0, 1.0) if d.mean() == 0 else (float(np.sign(d.mean()) * np.inf), 0.0)
    t = d.mean() / np.sqrt(variance)
    return float(t), float(2 * stats.t.sf(abs(t), df=k - 1))
