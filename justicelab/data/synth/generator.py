"""`justicelab synth`: a synthetic national reoffending database with planted programme effects."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .careers import Careers, Start, simulate
from .claims import general_claimants, prison_leaver_claims
from .jobs import JobModel, plant_jobs
from .population import alias_table, day, make_people, person_table
from .programmes import PROGRAMMES, run_programme, select_participants
from .records import (
    assessments,
    build_tables,
    occ_pos,
    offences_per_occasion,
    prison_codes,
)
from .reference import area_table
from .spells import benefit_spells, employment_spells, spell_frame

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SynthConfig:
    people: int = 100_000
    seed: int = 1
    history_start: str = "1995-01-01"  # first offences of the simulated careers begin here
    snapshot: str = "2021-12-31"  # the date the extract was taken
    claimants_per_person: float = 0.1  # size of the general JSA claimant sample (claimant_benefit_spell)
    jsa_after_release: float = 0.35  # share of prison leavers (first release 2008-17) who claim JSA after it
    jobs: JobModel = field(default_factory=JobModel)  # employment after release, with a planted effect (data/synth/jobs.py)


def generate(config: SynthConfig, progress: Progress = lambda step: None) -> dict[str, pd.DataFrame]:
    """All tables of the database, as pandas frames in a fixed row order."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(8)]
    first, snapshot = day(config.history_start), day(config.snapshot)
    n = config.people

    progress("people")
    people = make_people(n, streams[0], first, snapshot - 365)
    person = person_table(people, streams[1])

    progress("criminal careers")
    start = Start(person=np.arange(n), clock=people["first_offence"], fresh=np.ones(n, bool),
                  prior_occasions=np.zeros(n), prior_offences=np.zeros(n), prior_custody=np.zeros(n),
                  after_custody=np.zeros(n, bool), last_order=np.full(n, -np.inf), last_months=np.zeros(n))
    careers = simulate(start, people, streams[2], snapshot)
    assess = assessments(careers.occ, people, streams[3])

    progress("programmes")
    careers, assess, participants, effects = _plant_programmes(careers, assess, people, person, config, streams[4])

    progress("employment after release")
    # two more streams (spawned after the ten above, so those are unchanged): background P45 spells come first
    # because a job's chance depends on the employment history the database records
    extra = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(12)[10:]]
    taken = np.zeros(n, bool)
    taken[participants["person_id"].to_numpy() - 1] = True
    background = employment_spells(people, streams[7], day("2000-01-01"), snapshot)
    jobs = plant_jobs(careers, people, taken, background, config.seed, snapshot, extra[0], config.jobs)
    careers, assess = splice(careers, assess, [jobs.at], [_assessed(jobs.world, people, extra[1])])

    progress("records")
    tables = {"person": person, "area": area_table(), "alias": alias_table(person, streams[5])}
    built = build_tables(careers, assess, person)
    occ_to_disposal = built.pop("occ_to_disposal")
    tables.update(built)
    progress("benefits and employment")
    tables["benefit_spell"] = benefit_spells(people, streams[6], day("2000-01-01"), snapshot)
    tables["employment_spell"] = spell_frame(*jobs.spells, snapshot)
    # seed 002: prison leavers' JSA claims after release, and the general claimant population beside them
    # (two extra streams: the tables above are unchanged, benefit_spell gains the leavers' claims)
    claims = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(10)[8:]]
    after_release = prison_leaver_claims(tables["disposal"], claims[0], config.jsa_after_release,
                                         "2008-01-01", "2017-12-31", snapshot)
    tables["benefit_spell"] = (pd.concat([tables["benefit_spell"], after_release], ignore_index=True)
                               .sort_values(["person_id", "start_date"], kind="stable").reset_index(drop=True))
    tables["claimant_benefit_spell"] = general_claimants(max(int(n * config.claimants_per_person), 1000), claims[1],
                                                         "2008-01-01", "2018-06-30", snapshot)

    participants["disposal_id"] = occ_to_disposal[participants["disposal_id"].to_numpy()]
    tables["truth_programme"] = pd.DataFrame([{
        "programme": p.name, "title": p.title, "organisation": p.organisation, "description": p.description,
        "hazard_ratio": p.hazard_ratio, "offences_ratio": p.offences_ratio} for p in PROGRAMMES])
    tables["truth_participant"] = participants.sort_values(["programme", "person_id"]).reset_index(drop=True)
    tables["truth_effect"] = effects
    tables["truth_employment"] = jobs.truth
    return tables


def _plant_programmes(careers: Careers, assess: dict, people: dict, person: pd.DataFrame, config: SynthConfig,
                      rng: np.random.Generator):
    occ = careers.occ
    snapshot = day(config.snapshot)
    prison = prison_codes(person["region"].array.codes[occ["person"]], occ["prison_u"])
    offences_per_occ = offences_per_occasion(careers)
    taken = np.zeros(config.people, bool)
    chosen = []
    for prog in PROGRAMMES:
        at = select_participants(prog, occ, assess, people, person, prison, taken, rng, config.people)
        taken[occ["person"][at]] = True
        chosen.append(at)

    ats, worlds, part_frames, effect_frames = [], [], [], []
    for i, (prog, at) in enumerate(zip(PROGRAMMES, chosen)):
        if len(at) == 0:
            continue
        treated, participants, effects = run_programme(
            prog, occ, at, offences_per_occ, people, (config.seed, 1000 + i), snapshot, rng)
        participants["disposal_id"] = occ["occ_id"][at]
        ats.append(at)
        worlds.append(_assessed(treated, people, rng))
        part_frames.append(participants)
        effect_frames.append(effects)
    careers, assess = splice(careers, assess, ats, worlds)
    return careers, assess, pd.concat(part_frames, ignore_index=True), pd.concat(effect_frames, ignore_index=True)


def _assessed(world: Careers, people: dict, rng: np.random.Generator) -> tuple[Careers, dict | None]:
    """A re-simulated world with its occasions' assessments, drawn as soon as it is made (the draws' order
    fixes the database)."""
    return world, (assessments(world.occ, people, rng) if world.occ else None)


def splice(careers: Careers, assess: dict, ats: list[np.ndarray], worlds: list[tuple[Careers, dict | None]]
           ) -> tuple[Careers, dict]:
    """The careers with each chosen person's history after the chosen occasion (positions `at`) replaced by a
    re-simulated world (started from those occasions, with its occasions' assessments), under new occasion ids."""
    occ, off = careers.occ, careers.off
    drop_occ = np.zeros(len(occ["occ_id"]), bool)
    next_id = int(occ["occ_id"].max()) + 1
    new_occ, new_off, new_assess = [], [], []
    for at, (world, world_assess) in zip(ats, worlds):
        later = np.isin(occ["person"], occ["person"][at])
        index_occ = np.full(int(occ["person"].max()) + 1, np.iinfo(np.int64).max)
        index_occ[occ["person"][at]] = occ["occ_id"][at]
        drop_occ |= later & (occ["occ_id"] > index_occ[occ["person"]])
        if world.occ:
            remap = np.full(world.occ["occ_id"].max() + 1, -1, np.int64)
            remap[world.occ["occ_id"]] = next_id + np.arange(len(world.occ["occ_id"]))
            next_id += len(world.occ["occ_id"])
            world.occ["occ_id"] = remap[world.occ["occ_id"]]
            world.off["occ_id"] = remap[world.off["occ_id"]]
            new_occ.append(world.occ)
            new_off.append(world.off)
            new_assess.append(world_assess)
    keep = ~drop_occ
    keep_off = keep[occ_pos(occ, off["occ_id"])]
    common = [k for k in occ if all(k in o for o in new_occ)]
    merged_occ = {k: np.concatenate([occ[k][keep]] + [o[k] for o in new_occ]) for k in common}
    merged_off = {k: np.concatenate([off[k][keep_off]] + [o[k] for o in new_off]) for k in off}
    merged_assess = {k: np.concatenate([assess[k][keep]] + [a[k] for a in new_assess]) for k in assess}
    return Careers(merged_occ, merged_off), merged_assess
