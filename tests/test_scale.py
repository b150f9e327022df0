"""Large-scale suite (marked slow): a million people, calibrated and complete."""
import pytest

from justicelab.data.db import write_database
from justicelab.data.synth.generator import SynthConfig, generate
from justicelab.engine import DuckDBEngine
from justicelab.measures.bulletin import national_statistics


@pytest.mark.slow
def test_a_million_people(tmp_path):
    db = tmp_path / "national.duckdb"
    write_database(db, generate(SynthConfig(people=1_000_000, seed=5)))
    with DuckDBEngine(db, read_only=True) as engine:
        overall, start, end = national_statistics(engine)
        by_region, _, _ = national_statistics(engine, start, end, "region")
    row = overall.iloc[0]
    assert row.offenders > 80_000
    assert 25 <= row.proportion_reoffending_pct <= 30
    assert 2.6 <= row.reoffences_per_reoffender <= 3.4
    regions = by_region[by_region["group"] != "All offenders"]
    assert len(regions) == 10 and regions["proportion_reoffending_pct"].between(20, 35).all()
