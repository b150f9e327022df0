"""Local areas: reoffending statistics by place, and evaluations of local schemes (`justicelab local`).

  geography   the area lookup and the levels areas can be grouped by
  intervals   confidence intervals for rates, means and differences (score-based, so small areas behave)
  stats       the bulletin by area, any period, with disclosure control, quarterly trends and England and Wales
  predict     an OGRS-style prediction model, its calibration and discrimination, predicted vs actual
  outputs     HTML, PDF, xlsx and results JSON with provenance
"""
