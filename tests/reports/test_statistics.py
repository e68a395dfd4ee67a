"""Statistics across datasets: missing scores, Friedman/Nemenyi, Wilcoxon–Holm, CIs, wording."""

from __future__ import annotations

import io
import re
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from familybench.reports._statistics import (
    CI_ALL_EQUAL,
    CSV_COLUMNS,
    compute_statistics,
    statistics_csv,
)
from familybench.reports._statistics_section import fmt_p, statistics_section

HTML_TAG = re.compile(r"(?<!\\)<\s*/?\s*[A-Za-z!?]")  # an escaped \< is text


def _scores(
    table: dict[str, list[float]],
    families: dict[str, str] | None = None,
    representative: dict[str, bool] | None = None,
) -> pd.DataFrame:
    """Long scores from config -> score per dataset (NaN = missing); family defaults to config."""
    rows = []
    for config, values in table.items():
        for i, value in enumerate(values):
            rows.append(
                {
                    "dataset": f"d{i:02d}",
                    "config": config,
                    "family": (families or {}).get(config, config),
                    "score": value,
                    "representative": (representative or {}).get(config, True),
                }
            )
    return pd.DataFrame(rows)


def _noise(configs, n_datasets: int, seed: int, shift: dict[str, float] | None = None):
    rng = np.random.default_rng(seed)
    return {
        c: list(0.5 + (shift or {}).get(c, 0.0) + rng.normal(0, 0.05, n_datasets)) for c in configs
    }


def _sentences(section) -> str:
    """The Markdown on one line, Markdown escapes removed."""
    return " ".join(section.markdown.replace("\\", "").split())


def test_dominant_config_is_significant_everywhere():
    stats = compute_statistics(_scores(_noise("abcd", 20, seed=1, shift={"a": 0.4})))
    assert stats.configs["config"].iloc[0] == "a" and stats.configs["mean_rank"].iloc[0] == 1.0
    assert stats.friedman_p < 1e-6
    assert (stats.nemenyi.loc["a"].drop("a") < 0.05).all()
    against_a = stats.pairs[(stats.pairs["family_a"] == "a") | (stats.pairs["family_b"] == "a")]
    assert (
        len(against_a) == 3
        and (against_a["p_holm"] < 0.05).all()
        and (against_a["ahead"] == "a").all()
    )
    text = _sentences(statistics_section(stats))
    assert (
        "a ranks first among the families (mean rank 1.00 over 20 datasets); its lead over every "
        "other family is significant after Holm correction" in text
    )
    assert "a is ahead of every other config" in text


def test_pure_noise_claims_no_significance():
    stats = compute_statistics(_scores(_noise("abcd", 20, seed=3)))
    assert not stats.friedman_p < 0.05 and not stats.pairs["significant"].any()
    text = _sentences(statistics_section(stats))
    assert "does not show that the configs differ" in text
    assert "No family's lead is significant after Holm correction" in text
    claims = text.replace("No family's lead is significant after Holm correction", "")
    assert (
        "significant after" not in claims
        and "significantly" not in claims
        and "significant:" not in claims
    )


def test_p_values_match_scipy_and_statsmodels():
    from scipy import stats as ss
    from statsmodels.stats.multitest import multipletests

    table = _noise("abcde", 12, seed=5, shift={"a": 0.05, "b": 0.03})
    stats = compute_statistics(_scores(table))
    assert stats.friedman_p == pytest.approx(
        ss.friedmanchisquare(*table.values()).pvalue, rel=1e-12
    )

    pairs = stats.pairs.set_index(["family_a", "family_b"])
    order = list(stats.families["family"])
    raw = [
        ss.wilcoxon(table[a], table[b], zero_method="wilcox", alternative="two-sided").pvalue
        for a, b in combinations(order, 2)
    ]
    holm = multipletests(raw, method="holm")[1]
    for (a, b), p, adjusted in zip(combinations(order, 2), raw, holm, strict=True):
        assert pairs.loc[(a, b), "p_value"] == pytest.approx(p, rel=1e-12)
        assert pairs.loc[(a, b), "p_holm"] == pytest.approx(adjusted, rel=1e-12)
        assert (
            stats.p_holm.loc[a, b] == stats.p_holm.loc[b, a] == pytest.approx(adjusted, rel=1e-12)
        )


def test_nemenyi_p_values_agree_with_autorank_critical_difference():
    stats = compute_statistics(_scores(_noise("abcdef", 15, seed=2, shift={"a": 0.06, "b": 0.04})))
    ranks = stats.configs.set_index("config")["mean_rank"]
    for a, b in combinations(ranks.index, 2):
        gap = abs(ranks[a] - ranks[b])
        if abs(gap - stats.cd) > 1e-3:  # away from the boundary the two libraries must agree
            assert (gap > stats.cd) == (stats.nemenyi.loc[a, b] < 0.05), (a, b)


def test_lead_over_some_families_but_not_all_is_worded_so():
    stats = compute_statistics(
        _scores(
            _noise(["top", "close", "low", "lower"], 20, seed=4, shift={"top": 0.3, "close": 0.29})
        )
    )
    text = _sentences(statistics_section(stats))
    pair = stats.pairs.set_index(["family_a", "family_b"])
    assert not pair.loc[("top", "close"), "significant"] and pair.loc[("top", "low"), "significant"]
    assert re.search(
        r"its lead over (low|lower) \(p = [0-9.e-]+\) and (low|lower) \(p = [0-9.e-]+\) is "
        r"significant after Holm correction, but not over close \(p = "
        + re.escape(fmt_p(pair.loc[("top", "close"), "p_holm"])),
        text,
    )


def test_four_datasets_say_too_few_and_draw_nothing():
    stats = compute_statistics(_scores(_noise("abc", 4, seed=0, shift={"a": 0.5})))
    assert stats.nemenyi is None and np.isnan(stats.friedman_p) and stats.pairs.empty
    assert stats.configs["ci_low"].isna().all()
    section = statistics_section(stats)
    assert section.figures == ()
    text = _sentences(section)
    assert "Too few datasets to tell: 4 < 5 datasets" in text and "4 < 8 datasets" in text
    assert "no difference" not in text.replace("not evidence of no difference", "")
    assert "Friedman test says" not in text and "significant after" not in text


def test_missing_rule_drops_sparse_config_then_datasets():
    table = _noise("abcd", 10, seed=0)
    table["c"][:3] = [np.nan] * 3  # 30 %: the config goes
    table["d"][7] = np.nan  # 10 %: the dataset goes
    scores = _scores(table).drop(index=[9])  # an absent row counts as missing too: a on d09
    stats = compute_statistics(scores)
    assert list(stats.matrix.columns) == ["a", "b", "d"]
    assert list(stats.matrix.index) == [f"d{i:02d}" for i in range(10) if i not in (7, 9)]
    dropped = stats.dropped.set_index(["level", "name"])["reason"]
    assert dropped[("config", "c")] == "no score on 3 of 10 datasets (30 %, more than 20 %)"
    assert dropped[("dataset", "d07")] == "no score for config d"
    assert dropped[("dataset", "d09")] == "no score for config a"
    assert ("dataset", "d00") not in dropped.index  # only c, which is gone, was missing there
    assert ("family", "c") in dropped.index and ("dataset (families)", "d07") in dropped.index
    text = _sentences(statistics_section(stats))
    assert "config c: no score on 3 of 10 datasets" in text
    csv = statistics_csv(stats)
    assert set(csv.loc[csv["kind"] == "dropped_dataset", "name"]) == {"d07", "d09"}


def test_missing_on_exactly_twenty_percent_keeps_the_config():
    table = _noise("abc", 10, seed=0)
    table["c"][:2] = [np.nan] * 2
    stats = compute_statistics(_scores(table))
    assert "c" in stats.matrix.columns and len(stats.matrix) == 8


def test_all_equal_scores_have_no_interval():
    table = _noise("abc", 10, seed=0)
    table["c"] = [0.7] * 10
    stats = compute_statistics(_scores(table), seed=7)
    row = stats.configs.set_index("config").loc["c"]
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"]) and row["ci_note"] == CI_ALL_EQUAL
    assert row["mean_score"] == pytest.approx(0.7)
    others = stats.configs[stats.configs["config"] != "c"]
    assert sorted(others["config"]) == ["a", "b"]
    assert (others["ci_low"] < others["mean_score"]).all() and (
        others["mean_score"] < others["ci_high"]
    ).all()
    assert "| 0.700 | CI undefined (all equal) |" in statistics_section(stats).markdown


def test_bootstrap_is_seeded():
    scores = _scores(_noise("abc", 10, seed=0))
    first, again = compute_statistics(scores, seed=1), compute_statistics(scores, seed=1)
    other = compute_statistics(scores, seed=2)
    pd.testing.assert_frame_equal(first.configs, again.configs)
    assert not np.allclose(first.configs["ci_low"], other.configs["ci_low"])


def test_ties_share_the_mean_rank():
    stats = compute_statistics(_scores({"a": [0.9] * 5, "b": [0.9] * 5, "c": [0.1] * 5}))
    ranks = stats.configs.set_index("config")["mean_rank"]
    assert ranks["a"] == ranks["b"] == 1.5 and ranks["c"] == 3.0
    assert "a and b share the best mean rank (1.50)" in _sentences(statistics_section(stats))


def test_two_configs_say_friedman_needs_three():
    stats = compute_statistics(_scores(_noise("ab", 10, seed=0)))
    assert stats.nemenyi is None and len(stats.pairs) == 1
    assert (
        "Only 2 configs: the Friedman test and the critical-difference diagram need 3"
        in _sentences(statistics_section(stats))
    )


def test_representative_config_stands_for_its_family():
    table = {"gbm_a": [0.9] * 8, "gbm_b": [0.1] * 8, "lin": [0.5] * 8}
    families = {"gbm_a": "boosting", "gbm_b": "boosting", "lin": "linear"}
    chosen = compute_statistics(_scores(table, families, {"gbm_a": False, "gbm_b": True}))
    assert list(chosen.family_matrix["boosting"]) == [0.1] * 8
    pair = chosen.pairs.iloc[0]
    assert (pair["family_a"], pair["ahead"], pair["wins"], pair["losses"]) == (
        "linear",
        "linear",
        8,
        0,
    )
    with pytest.raises(ValueError, match="more than one representative"):
        compute_statistics(_scores(table, families))


def test_duplicate_rows_are_refused():
    scores = _scores(_noise("ab", 5, seed=0))
    with pytest.raises(ValueError, match="more than one row"):
        compute_statistics(pd.concat([scores, scores.iloc[:1]]))


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.004123, "0.00412"),
        (0.41, "0.410"),
        (1.0, "1.00"),
        (0.0001234, "0.000123"),
        (1.234e-27, "1.23e-27"),
        (0.04996, "0.0500"),
        (float("nan"), "–"),
    ],
)
def test_p_values_print_with_three_significant_digits(p, text):
    assert fmt_p(p) == text


def test_markdown_has_no_html_and_escapes_names():
    hostile = "<script>alert(1)</script>"
    table = _noise(["a", hostile, "c|d", "e"], 10, seed=0, shift={"a": 0.3})
    stats = compute_statistics(_scores(table))
    section = statistics_section(stats)
    assert section.title == "Statistics across datasets"
    assert not HTML_TAG.search(section.markdown)
    assert "<script>" not in section.html and "&lt;script&gt;" in section.html
    tables = [
        block.splitlines() for block in section.markdown.split("\n\n") if block.startswith("|")
    ]
    assert len(tables) == 3
    for lines in tables:  # a name's | is escaped, so every row has as many cells as the header
        assert len({len(re.findall(r"(?<!\\)\|", line)) for line in lines}) == 1
    assert len(section.figures) == 1 and section.figures[0].png.startswith(b"\x89PNG")


def test_csv_is_tidy_and_matches_the_statistics():
    stats = compute_statistics(_scores(_noise("abcd", 10, seed=0, shift={"a": 0.2})))
    csv = statistics_csv(stats)
    assert list(csv.columns) == CSV_COLUMNS
    assert set(csv["kind"]) == {"config", "family", "friedman", "nemenyi", "wilcoxon_holm"}
    assert (csv["kind"] == "nemenyi").sum() == 6 and (csv["kind"] == "wilcoxon_holm").sum() == 6
    friedman = csv[csv["kind"] == "friedman"].iloc[0]
    assert friedman["p_value"] == stats.friedman_p
    pairs = csv[csv["kind"] == "wilcoxon_holm"].set_index(["name", "versus"])
    for r in stats.pairs.itertuples():
        assert pairs.loc[(r.family_a, r.family_b), "p_holm"] == r.p_holm
        assert pairs.loc[(r.family_a, r.family_b), ["wins", "ties", "losses"]].tolist() == [
            r.wins,
            r.ties,
            r.losses,
        ]


def test_the_section_gives_its_csv_as_a_file():
    # the section returns what it produces; the writer reads nothing back from the context
    stats = compute_statistics(_scores(_noise("abc", 10, seed=0)))
    section = statistics_section(stats)
    assert set(section.files) == {"statistics.csv"}
    assert section.files["statistics.csv"] == statistics_csv(stats).to_csv(index=False)
    assert pd.read_csv(io.StringIO(section.files["statistics.csv"])).columns.tolist() == CSV_COLUMNS
