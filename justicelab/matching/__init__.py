"""Matching and statistics: propensity scores, matched comparison groups, balance, outcome estimates.

Works on any pandas DataFrame; nothing here knows about the reoffending database.
"""
from .balance import BalanceTable, balance_table
from .matchit import MatchResult, matchit
from .prepare import prepare_groups
from .propensity import PropensityModel, PropensityResult, select_covariates

__all__ = ["BalanceTable", "MatchResult", "PropensityModel", "PropensityResult", "balance_table", "matchit",
           "prepare_groups", "select_covariates"]
