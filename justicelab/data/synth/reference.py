"""Reference lists for the synthetic database: places, prisons, courts and offence groups.

Shares are rough public-domain figures for the adult offender population of England and Wales
(proven reoffending bulletins); they make the synthetic statistics look like the real ones.
"""
from __future__ import annotations

from functools import cache
from importlib import resources

# region -> (share of offenders, local authorities)
REGIONS: dict[str, tuple[float, tuple[str, ...]]] = {
    "North East": (0.06, ("Newcastle upon Tyne", "Sunderland", "Middlesbrough", "County Durham")),
    "North West": (0.14, ("Manchester", "Liverpool", "Salford", "Blackpool", "Preston", "Bolton")),
    "Yorkshire and the Humber": (0.11, ("Leeds", "Sheffield", "Bradford", "Hull", "Doncaster")),
    "East Midlands": (0.08, ("Nottingham", "Leicester", "Derby", "Lincoln", "Northampton")),
    "West Midlands": (0.10, ("Birmingham", "Coventry", "Wolverhampton", "Stoke-on-Trent", "Walsall")),
    "East of England": (0.09, ("Peterborough", "Norwich", "Luton", "Ipswich", "Southend-on-Sea")),
    "London": (0.16, ("Lambeth", "Southwark", "Newham", "Croydon", "Haringey", "Tower Hamlets", "Ealing")),
    "South East": (0.12, ("Brighton and Hove", "Southampton", "Portsmouth", "Medway", "Reading", "Milton Keynes")),
    "South West": (0.08, ("Bristol", "Plymouth", "Bournemouth", "Swindon", "Exeter")),
    "Wales": (0.06, ("Cardiff", "Swansea", "Newport", "Wrexham")),
}

# local authority -> (police force area, probation region, relative size, deprivation index in [-1, 1]).
# Force areas and the twelve probation regions are the real ones for these places; sizes are rough
# relative adult populations; the deprivation index only tilts where higher-risk people live (population.py),
# so areas differ in their reoffending rates as real ones do, without touching anyone's career.
AREAS: dict[str, tuple[str, str, float, float]] = {
    "Newcastle upon Tyne": ("Northumbria", "North East", 300, 0.4),
    "Sunderland": ("Northumbria", "North East", 275, 0.6),
    "Middlesbrough": ("Cleveland", "North East", 140, 1.0),
    "County Durham": ("Durham", "North East", 525, 0.2),
    "Manchester": ("Greater Manchester", "Greater Manchester", 550, 0.8),
    "Liverpool": ("Merseyside", "North West", 490, 0.9),
    "Salford": ("Greater Manchester", "Greater Manchester", 270, 0.5),
    "Blackpool": ("Lancashire", "North West", 140, 1.0),
    "Preston": ("Lancashire", "North West", 145, 0.1),
    "Bolton": ("Greater Manchester", "Greater Manchester", 290, 0.2),
    "Leeds": ("West Yorkshire", "Yorkshire and the Humber", 800, 0.0),
    "Sheffield": ("South Yorkshire", "Yorkshire and the Humber", 585, 0.1),
    "Bradford": ("West Yorkshire", "Yorkshire and the Humber", 545, 0.5),
    "Hull": ("Humberside", "Yorkshire and the Humber", 265, 0.8),
    "Doncaster": ("South Yorkshire", "Yorkshire and the Humber", 310, 0.4),
    "Nottingham": ("Nottinghamshire", "East Midlands", 335, 0.7),
    "Leicester": ("Leicestershire", "East Midlands", 370, 0.3),
    "Derby": ("Derbyshire", "East Midlands", 260, 0.2),
    "Lincoln": ("Lincolnshire", "East Midlands", 100, -0.1),
    "Northampton": ("Northamptonshire", "East Midlands", 230, -0.2),
    "Birmingham": ("West Midlands", "West Midlands", 1150, 0.5),
    "Coventry": ("West Midlands", "West Midlands", 370, 0.1),
    "Wolverhampton": ("West Midlands", "West Midlands", 265, 0.6),
    "Stoke-on-Trent": ("Staffordshire", "West Midlands", 255, 0.7),
    "Walsall": ("West Midlands", "West Midlands", 285, 0.4),
    "Peterborough": ("Cambridgeshire", "East of England", 215, 0.2),
    "Norwich": ("Norfolk", "East of England", 145, 0.1),
    "Luton": ("Bedfordshire", "East of England", 225, 0.3),
    "Ipswich": ("Suffolk", "East of England", 140, 0.0),
    "Southend-on-Sea": ("Essex", "East of England", 180, -0.1),
    "Lambeth": ("Metropolitan Police", "London", 320, 0.2),
    "Southwark": ("Metropolitan Police", "London", 310, 0.3),
    "Newham": ("Metropolitan Police", "London", 350, 0.4),
    "Croydon": ("Metropolitan Police", "London", 390, -0.1),
    "Haringey": ("Metropolitan Police", "London", 265, 0.3),
    "Tower Hamlets": ("Metropolitan Police", "London", 310, 0.2),
    "Ealing": ("Metropolitan Police", "London", 365, -0.4),
    "Brighton and Hove": ("Sussex", "Kent, Surrey and Sussex", 275, -0.2),
    "Southampton": ("Hampshire", "South Central", 250, 0.1),
    "Portsmouth": ("Hampshire", "South Central", 210, 0.2),
    "Medway": ("Kent", "Kent, Surrey and Sussex", 280, 0.1),
    "Reading": ("Thames Valley", "South Central", 160, -0.5),
    "Milton Keynes": ("Thames Valley", "South Central", 285, -0.6),
    "Bristol": ("Avon and Somerset", "South West", 470, 0.0),
    "Plymouth": ("Devon and Cornwall", "South West", 265, 0.3),
    "Bournemouth": ("Dorset", "South West", 400, -0.3),
    "Swindon": ("Wiltshire", "South West", 235, -0.4),
    "Exeter": ("Devon and Cornwall", "South West", 130, -0.7),
    "Cardiff": ("South Wales", "Wales", 365, 0.0),
    "Swansea": ("South Wales", "Wales", 245, 0.2),
    "Newport": ("Gwent", "Wales", 160, 0.4),
    "Wrexham": ("North Wales", "Wales", 135, -0.2),
}

# Fictitious prisons, three per region; the first of the East of England is the pay-by-results pilot site.
PRISONS: dict[str, tuple[str, ...]] = {
    "North East": ("HMP Tynebridge", "HMP Wearside", "HMP Teesmoor"),
    "North West": ("HMP Irwell", "HMP Merseyvale", "HMP Ribblesdale"),
    "Yorkshire and the Humber": ("HMP Airedale", "HMP Donmouth", "HMP Humberfield"),
    "East Midlands": ("HMP Trentside", "HMP Soarbrook", "HMP Wolds Gate"),
    "West Midlands": ("HMP Rea Valley", "HMP Sowe Park", "HMP Blackcountry"),
    "East of England": ("HMP Nenebridge", "HMP Yare Fields", "HMP Lea Marsh"),
    "London": ("HMP Thameside Road", "HMP Wandle", "HMP Lea Bridge"),
    "South East": ("HMP Downsview", "HMP Solent Point", "HMP Medway Reach"),
    "South West": ("HMP Avonmouth Hill", "HMP Tamarside", "HMP Exe Moor"),
    "Wales": ("HMP Taff Vale", "HMP Tawe", "HMP Clwyd"),
}

ETHNICITY = {"White": 0.78, "Black": 0.08, "Asian": 0.06, "Other": 0.03, "Unknown": 0.05}
NATIONALITY = {"UK": 0.89, "Non-UK": 0.09, "Unknown": 0.02}

OFFENCE_CLASSES = ("indictable_only", "either_way", "summary")

# offence group -> (share among offences, P(indictable-only), P(either-way), P(summary), sexual)
OFFENCE_GROUPS: dict[str, tuple[float, float, float, float, bool]] = {
    "Violence against the person": (0.17, 0.05, 0.70, 0.25, False),
    "Sexual offences": (0.003, 0.35, 0.60, 0.05, True),
    "Robbery": (0.015, 1.00, 0.00, 0.00, False),
    "Theft offences": (0.26, 0.00, 0.92, 0.08, False),
    "Criminal damage and arson": (0.05, 0.03, 0.67, 0.30, False),
    "Drug offences": (0.09, 0.08, 0.90, 0.02, False),
    "Possession of weapons": (0.03, 0.00, 0.95, 0.05, False),
    "Public order offences": (0.07, 0.01, 0.64, 0.35, False),
    "Miscellaneous crimes against society": (0.04, 0.10, 0.75, 0.15, False),
    "Fraud offences": (0.03, 0.02, 0.95, 0.03, False),
    "Summary non-motoring": (0.12, 0.00, 0.00, 1.00, False),
    "Summary motoring": (0.06, 0.00, 0.00, 1.00, False),
}
BREACH_GROUP = "Breach of a court order"

DISPOSAL_TYPES = ("caution", "fine_discharge", "community_order", "suspended_sentence", "custody")
OUT_OF_WORK_BENEFITS = ("JSA", "ESA", "IS", "IB", "UC")


@cache
def word_list(name: str) -> tuple[str, ...]:
    text = resources.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return tuple(dict.fromkeys(text.split()))  # unique, in file order


# Rare surnames: real populations have tens of thousands. Common names come from surnames.txt; this
# long tail (prefix + suffix, e.g. Ashworth, Stockley) gives the rest, so that name and date of birth
# collide about as rarely as on the real PNC.
SURNAME_PREFIXES = (
    "Ash Brad Black Brook Whit Hol Ald Hart Fair Wood Green Lang Mar Stan Thorn Wake Wick Mil Nor Pen Rad Red "
    "Sel Shel Ship Stock Tad Wen Win Bur Cal Cro Dar Ed Elm Farn Gil Ham Hay Hor Kel Kings Lind Mor New Old Ox "
    "Pres Rams Row Sher Ster Sut Tem Up Wal Wes Wid Yar Al Ber Bil Car Chat Col Dun Eg Fen Gar Har Lan Lox Mab "
    "Oak Pem Rock Sal Tin Bel Cheat Dray Fox Grims Hux Ing Jar Knott Lea Mel Nut Pad Quin Roth Sand Tor").split()
SURNAME_SUFFIXES = ("worth shaw ford ley ton well field wood by ham more stead combe bury den dale wick hurst land "
                    "low son er ing man ridge brook thorpe cott hill gate ings sey wyn ell ock ard ey ins ore").split()


@cache
def rare_surnames() -> tuple[str, ...]:
    return tuple(dict.fromkeys(p + s for p in SURNAME_PREFIXES for s in SURNAME_SUFFIXES))


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    text = resources.files(__package__).joinpath("nicknames.txt").read_text(encoding="utf-8")
    return {line.split()[0]: tuple(line.split()[1:]) for line in text.splitlines() if line.strip()}


def local_authorities() -> list[tuple[str, str]]:
    return [(region, la) for region, (_, las) in REGIONS.items() for la in las]


def area_table():
    """The area lookup written to the database: one row per local authority."""
    import pandas as pd

    return pd.DataFrame([{"local_authority": la, "region": region, "police_force_area": AREAS[la][0],
                          "probation_region": AREAS[la][1]} for region, la in local_authorities()])


def courts() -> list[tuple[str, str]]:
    """One magistrates' and one Crown Court per local authority: (region, court)."""
    out = []
    for region, la in local_authorities():
        out.append((region, f"{la} Magistrates' Court"))
        out.append((region, f"{la} Crown Court"))
    return out
