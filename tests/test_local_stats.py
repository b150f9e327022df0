"""Local areas: the synthetic geography, the area bulletin, its intervals and disclosure control."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from justicelab.data.synth.population import home_areas
from justicelab.data.synth.reference import AREAS, REGIONS, area_table, local_authorities
from justicelab.engine import DuckDBEngine
from justicelab.errors import JusticeLabError
from justicelab.local.geography import parse_levels
from justicelab.local.stats import area_statistics, build_area_cohort, published, quarterly_trends
from tests.fixtures import Fixture, d, synthetic_db


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return synthetic_db(tmp_path_factory, 60_000, 13)


def test_every_level_nests_in_one_region():
    areas = area_table()
    assert set(areas["local_authority"]) == set(AREAS)
    for level in ("police_force_area", "probation_region"):
        assert (areas.groupby(level)["region"].nunique() == 1).all(), level
    assert areas["probation_region"].nunique() == 12  # HMPPS's twelve probation regions


def test_home_areas_keep_the_region_and_follow_size_and_risk():
    rng = np.random.default_rng(0)
    n = 400_000
    v, u = rng.random(n), rng.standard_normal(n)
    las = local_authorities()
    la = home_areas(v, np.zeros(n))
    # the region, worked out independently: the regions' shares in order, one uniform each
    shares = np.array([REGIONS[r][0] for r in REGIONS])
    expected_region = np.searchsorted(np.cumsum(shares) / shares.sum(), v, side="right")
    region_of_la = pd.Index(list(REGIONS)).get_indexer([r for r, _ in las])
    assert np.array_equal(region_of_la[la], expected_region)
    # with no risk (u = 0) an authority's share of its region is its size's share
    for region, (_, names) in REGIONS.items():
        in_region = region_of_la[la] == list(REGIONS).index(region)
        sizes = np.array([AREAS[x][2] for x in names], float)
        for j, name in enumerate(names):
            p = sizes[j] / sizes.sum()
            observed = np.mean(la[in_region] == [x for _, x in las].index(name))
            assert abs(observed - p) < 4 * np.sqrt(p * (1 - p) / in_region.sum()) + 1e-9, name
    # with risk, deprived authorities house riskier people
    la = home_areas(v, u)
    dep = np.array([AREAS[x][3] for _, x in las])[la]
    assert u[dep >= 0.6].mean() > 0.1 > -0.1 > u[dep <= -0.3].mean()


def test_synthetic_areas_differ_believably(db):
    with DuckDBEngine(db, read_only=True) as e:
        build_area_cohort(e, d("2016-01-01"), d("2019-12-31"))
        f = area_statistics(e, ["local_authority"]).set_index("local_authority")
        by_region = area_statistics(e, ["region"]).set_index("region")
    dep = pd.Series({k: v[3] for k, v in AREAS.items()})
    deprived, affluent = dep[dep >= 0.6].index, dep[dep <= -0.3].index
    rate = lambda idx: f.loc[idx, "reoffenders"].sum() / f.loc[idx, "offenders"].sum()  # noqa: E731
    assert rate(deprived) > rate(affluent) + 0.03
    assert f.loc["Birmingham", "offenders"] > 4 * f.loc["Lincoln", "offenders"]
    assert by_region.loc["England and Wales", "offenders"] == f.loc["England and Wales", "offenders"]


def test_combinations_and_levels_add_up(db):
    with DuckDBEngine(db, read_only=True) as e:
        build_area_cohort(e, d("2019-01-01"), d("2019-12-31"))
        combo = area_statistics(e, ["probation_region", "local_authority"])
        pfa = area_statistics(e, ["police_force_area"]).set_index("police_force_area")
    total = combo.iloc[-1]
    parts = combo.iloc[:-1]
    assert parts["offenders"].sum() == total["offenders"] and parts["reoffences"].sum() == total["reoffences"]
    lookup = area_table().set_index("local_authority")["police_force_area"]
    summed = parts.groupby(parts["local_authority"].map(lookup))[["offenders", "reoffenders"]].sum()
    assert (summed == pfa.loc[summed.index, ["offenders", "reoffenders"]]).all().all()


def _hand_built() -> Fixture:
    """Lambeth: 12 people, 5 reoffend (person 1 twice, on two occasions); Exeter: 3 people, 1 reoffends.
    Person 20 (Lambeth) has index events on 1 Feb (Q1) and 1 Aug 2019 (Q3): the second occasion's offence
    (2 Jul) is a reoffence after the first, and an offence on 1 Feb 2020 is day 365 after the first
    (counted) and day 184 after the second: 2 reoffences for the Q1 cohort, 1 for Q3."""
    fx = Fixture()
    fx.rows["area"] = [
        {"local_authority": "Lambeth", "region": "London", "police_force_area": "Metropolitan Police",
         "probation_region": "London"},
        {"local_authority": "Exeter", "region": "South West", "police_force_area": "Devon and Cornwall",
         "probation_region": "South West"}]
    for pid in range(1, 13):
        fx.person(pid)
        fx.disposal(pid, d("2019-03-01"))
        if pid <= 5:
            fx.disposal(pid, d("2020-01-10"), offences=[(d("2019-11-01"), "either_way")])
        if pid == 1:
            fx.disposal(pid, d("2020-02-10"), offences=[(d("2020-01-20"), "summary")])
    for pid in (13, 14, 15):
        fx.person(pid, region="South West", local_authority="Exeter")
        fx.disposal(pid, d("2019-05-01"))
    fx.disposal(13, d("2019-12-01"), offences=[(d("2019-10-01"), "summary")])
    fx.person(20)
    fx.disposal(20, d("2019-02-01"))
    fx.disposal(20, d("2019-08-01"))
    fx.disposal(20, d("2020-03-01"), offences=[(d("2020-02-01"), "summary")])
    return fx


def test_area_statistics_by_hand():
    with DuckDBEngine() as e:
        _hand_built().register(e)
        build_area_cohort(e, d("2019-01-01"), d("2019-12-31"))
        f = area_statistics(e, ["local_authority"]).set_index("local_authority")
        lam = f.loc["Lambeth"]
        assert (lam["offenders"], lam["reoffenders"], lam["reoffences"]) == (13, 6, 8)
        ex = f.loc["Exeter"]
        assert (ex["offenders"], ex["reoffenders"], ex["reoffences"]) == (3, 1, 1)
        assert f.loc["England and Wales", "offenders"] == 16
        low, high = proportion_confint(6, 13, method="wilson")
        assert lam["rate_low"] == pytest.approx(low) and lam["rate_high"] == pytest.approx(high)
        dlow, dhigh = confint_proportions_2indep(6, 13, 1, 3, method="newcomb", compare="diff")
        assert lam["difference_from_rest"] == pytest.approx(6 / 13 - 1 / 3)
        assert (lam["difference_low"], lam["difference_high"]) == (pytest.approx(dlow), pytest.approx(dhigh))
        # frequency interval by hand: reoffences per person 2,1,1,1,1,2 and seven zeros
        x = np.array([2, 1, 1, 1, 1, 2] + [0] * 7, float)
        half = 1.959963984540054 * x.std(ddof=1) / np.sqrt(13)
        assert lam["frequency_low"] == pytest.approx(x.mean() - half)
        pub = published(f.reset_index(), ["local_authority"]).set_index("local_authority")
        assert pub.loc["Lambeth", "offenders"] == 15 and pub.loc["Lambeth", "reoffenders"] == "[c]"
        assert pub.loc["Lambeth", "proportion_reoffending_pct"] == "[c]"
        assert pub.loc["Exeter", "offenders"] == "[c]"

        q = quarterly_trends(e, "local_authority", d("2019-01-01"), d("2019-12-31"))
        q = q.set_index(["area", "quarter"])
        assert q.loc[("Lambeth", "2019 Q1"), "offenders"] == 13 and q.loc[("Lambeth", "2019 Q1"), "reoffenders"] == 6
        assert q.loc[("Lambeth", "2019 Q3"), "offenders"] == 1 and q.loc[("Lambeth", "2019 Q3"), "reoffences"] == 1
        assert q.loc[("Lambeth", "2019 Q1"), "reoffences"] == 8
        assert q.loc[("England and Wales", "2019 Q2"), "offenders"] == 3


def test_missing_lookup_is_one_clear_error():
    fx = _hand_built()
    fx.rows["area"] = fx.rows["area"][:1]
    with DuckDBEngine() as e:
        fx.register(e)
        with pytest.raises(JusticeLabError, match="table area, column local_authority: no row for 'Exeter'"):
            build_area_cohort(e, d("2019-01-01"), d("2019-12-31"))
    with pytest.raises(JusticeLabError, match="each level must be one of"):
        parse_levels("borough")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), min_size=1, max_size=20))
def test_published_figures_never_disclose_small_numbers(pairs):
    rows = [(max(n, k), k) for n, k in pairs]
    frame = pd.DataFrame({"area": [f"A{i}" for i in range(len(rows))],
                          "offenders": [n for n, _ in rows], "reoffenders": [k for _, k in rows],
                          "reoffences": [2 * k for _, k in rows]})
    frame["rate"] = frame["reoffenders"] / frame["offenders"].where(frame["offenders"] > 0)
    frame["rate_low"] = frame["rate_high"] = frame["rate"]
    frame["reoffences_per_offender"] = frame["reoffences"] / frame["offenders"].where(frame["offenders"] > 0)
    out = published(frame, ["area"])
    for (n, k), (_, row) in zip(rows, out.iterrows()):
        for col, true in (("offenders", n), ("reoffenders", k), ("reoffences", 2 * k)):
            v = row[col]
            assert v == "[c]" or (v % 5 == 0 and abs(v - true) <= 2.5 and not 0 < true < 11), (col, true, v)
        small = any(0 < x < 11 for x in (n, k, n - k))
        assert (row["proportion_reoffending_pct"] == "[c]") == small
        if not small and n:
            assert abs(row["proportion_reoffending_pct"] - 100 * k / n) <= 0.5


def test_demand_counts_court_occasions_by_hand():
    """Person 40 reoffends three times: once proven by caution, twice on one court occasion: 3 reoffences,
    1 court occasion; person 41 is sent to custody for one reoffence."""
    from justicelab.local.demand import demand_summary

    fx = Fixture()
    fx.rows["area"] = [{"local_authority": "Lambeth", "region": "London", "police_force_area": "Metropolitan Police",
                        "probation_region": "London"}]
    fx.person(40)
    fx.disposal(40, d("2019-03-01"))
    fx.disposal(40, d("2019-06-01"), kind="caution", offences=[(d("2019-05-01"), "summary")])
    fx.disposal(40, d("2019-09-01"), offences=[(d("2019-07-01"), "either_way"), (d("2019-08-01"), "either_way")])
    fx.person(41)
    fx.disposal(41, d("2019-03-01"))
    fx.disposal(41, d("2019-10-01"), kind="custody", months=2, release=d("2019-11-01"),
                offences=[(d("2019-09-01"), "either_way")])
    with DuckDBEngine() as e:
        fx.register(e)
        build_area_cohort(e, d("2019-01-01"), d("2019-12-31"))
        s = demand_summary(e, "local_authority").loc["Lambeth"]
    assert (s["people"], s["reoffences"], s["court_occasions"], s["custodial_sentences"]) == (2, 4, 2, 1)
    assert (s["reoffences_sq"], s["court_occasions_sq"]) == (9 + 1, 1 + 1)


def test_demand_interval_has_its_coverage_and_finds_a_planted_fall():
    """Simulation with known truth: overdispersed demand per person in four independent cohorts."""
    from justicelab.local.demand import relative_change

    rng = np.random.default_rng(7)

    def cohort(n, mean):
        x = rng.negative_binomial(0.5, 0.5 / (0.5 + mean), n)  # mean `mean`, variance mean + 2 mean^2
        return (n, float(x.sum()), float((x * x).sum()))

    covered, found, reps = 0, 0, 400
    for _ in range(reps):
        null = relative_change(cohort(800, 0.8), cohort(800, 0.8 * 0.95), cohort(20_000, 0.8),
                               cohort(20_000, 0.8 * 0.95))  # everyone's demand falls 5%: no local effect
        covered += null["relative_low"] <= 0 <= null["relative_high"]
        fall = relative_change(cohort(800, 0.8), cohort(800, 0.8 * 0.95 * 0.7), cohort(20_000, 0.8),
                               cohort(20_000, 0.8 * 0.95))  # the area's falls 30% more
        found += fall["relative_high"] < 0
    assert 0.92 <= covered / reps <= 0.98
    assert found / reps > 0.8
    # by hand: means 1.0 -> 0.5 in the area, 1.0 -> 1.0 elsewhere: relative change -50%
    r = relative_change((2, 2, 2), (2, 1, 1), (2, 2, 2), (2, 2, 2))
    assert r["area_change"] == pytest.approx(-0.5) and r["relative"] == pytest.approx(-0.5)


def test_loader_checks_the_optional_area_lookup(tmp_path):
    from justicelab.data.load import load_folder
    from justicelab.errors import DataError

    folder = tmp_path / "extract"
    folder.mkdir()
    fx = _hand_built()
    fx.rows["area"] = fx.rows["area"][:1]  # Lambeth only: Exeter's people have no row
    for name, frame in fx.frames().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    with pytest.raises(DataError) as caught:
        load_folder(folder, tmp_path / "a.duckdb")
    assert any(p.startswith("person.csv row 13, column local_authority: 'Exeter' has no match in area.local_authority")
               for p in caught.value.problems), caught.value.problems
    (folder / "area.csv").unlink()  # without the lookup the extract still loads (the table is optional)
    assert "area" not in load_folder(folder, tmp_path / "b.duckdb")
