"""Name normalisation for linkage, written once as SQL so both sides (list and database) get the same.

Accented letters are transliterated (Wiśniewski -> wisniewski, Łukasz -> lukasz), not deleted; case,
apostrophes, hyphens and spaces are dropped for comparison (O'Brien = OBrien = O Brien), and a leading
Mac is read as Mc. Forenames map to every formal name they can stand for (nicknames.txt).
"""
from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources

import pandas as pd

# letters with no Unicode decomposition to a base letter
_SPECIAL = {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t"}
_MULTI = {"ß": "ss", "æ": "ae", "œ": "oe", "þ": "th"}


@cache
def transliteration() -> tuple[str, str]:
    """(from, to) strings for SQL translate(): each lower-case Latin accented letter to its base letter."""
    src, dst = [], []
    for code in range(0x00C0, 0x0250):
        ch = chr(code)
        if ch != ch.lower():
            continue
        base = _SPECIAL.get(ch) or unicodedata.normalize("NFKD", ch)[0]
        if base != ch and "a" <= base <= "z":
            src.append(ch)
            dst.append(base)
    return "".join(src), "".join(dst)


def fold(text: str) -> str:
    """The Python twin of fold_sql (for lists and tests): lower case, transliterated."""
    src, dst = transliteration()
    out = str(text).lower().translate(str.maketrans(src, dst))
    for k, v in _MULTI.items():
        out = out.replace(k, v)
    return out


def fold_sql(expr: str, d) -> str:
    """Lower case, transliterated, hyphens and apostrophes as spaces... then letters and spaces only."""
    src, dst = transliteration()
    out = f"translate(lower(CAST({expr} AS {d.type_name('VARCHAR')})), '{src}', '{dst}')"
    for k, v in _MULTI.items():
        out = f"replace({out}, '{k}', '{v}')"
    out = d.replace_all(out, "[-]", " ")
    return d.replace_all(out, "[^a-z ]", "")  # apostrophes go: o'brien -> obrien


def key_sql(folded: str, d) -> str:
    """A name's comparison key: letters only, a leading mac as mc (MacDonald = Mc Donald = McDonald)."""
    letters = d.replace_all(folded, "[^a-z]", "")
    return f"nullif({d.replace_all(letters, '^mac', 'mc')}, '')"


def token_sql(folded: str, which: str, d) -> str:
    """The first or last word of a name (double-barrelled and married names), if 3+ letters."""
    trimmed = f"trim({folded})"
    pattern = "^([a-z]+).*$" if which == "first" else "^.*?([a-z]+)$"
    word = f"regexp_extract({trimmed}, '{pattern}', 1)"
    return f"CASE WHEN length({word}) >= 3 THEN {word} END"


@cache
def nickname_groups() -> dict[str, tuple[str, ...]]:
    """name -> the formal names it can stand for (a formal name stands for itself)."""
    text = resources.files(__package__).joinpath("nicknames.txt").read_text(encoding="utf-8")
    groups: dict[str, set[str]] = {}
    for line in text.splitlines():
        words = [fold(w) for w in line.split()] if line.strip() and not line.startswith("#") else []
        for w in words:
            groups.setdefault(w, set()).add(words[0])
    return {k: tuple(sorted(v)) for k, v in groups.items()}


def nickname_frame(slots: int = 3) -> pd.DataFrame:
    """One row per name with up to `slots` formal names (canon1..canonN), for a SQL join."""
    groups = nickname_groups()
    frame = pd.DataFrame({"name": list(groups)})
    for i in range(slots):
        frame[f"canon{i + 1}"] = [g[i] if i < len(g) else None for g in groups.values()]
    return frame
