"""The published figures the simulation is shaped on, and what was assumed to scale them.

Sources (numbers rounded; the simulation needs their size, not their decimals):
- Psychiatric admissions: about 47,000 a year in Denmark, about 4,700 of them in Region
  Nordjylland (eSundhed, "Psykiatriske indlæggelser", Sundhedsdatastyrelsen's national patient
  register, LPR).
- Length of stay: about 15 days on average for a psychiatric admission, with a long tail
  (eSundhed, "Indlæggelsesvarighed i psykiatrien"; Danske Regioner's psychiatry benchmarks).
- Readmission: 23-26 % of discharges are followed by an acute readmission within 30 days, and a
  quarter of those within 3 days (Sundhedsdatastyrelsen 2017, "Akutte psykiatriske
  genindlæggelser"; eSundhed "30 dages akutte psykiatriske genindlæggelser", as in figures.md).
- Population by region (Danmarks Statistik, FOLK1A, 1 January 2024, rounded), used to scale
  Nordjylland's figures to the other regions: admissions follow population share.

Assumed (no single published figure; chosen to look like the agreements' worries, seed 000):
the shares of weekend discharges, late and missing plans, municipal answers, content gaps,
leaves, corrections, cancellations, deaths and JSON senders below.
"""

from __future__ import annotations

from typing import Final

ADMISSIONS_PER_YEAR_DENMARK: Final = 47_000
POPULATION: Final = {
    "DK-81": 590_000,  # Nordjylland: 4,700 admissions a year, a tenth of Denmark's
    "DK-82": 1_350_000,  # Midtjylland
    "DK-83": 1_230_000,  # Syddanmark
    "DK-84": 1_880_000,  # Hovedstaden
    "DK-85": 850_000,  # Sjælland
}
MEAN_STAY_DAYS: Final = 15.0
STAY_DAYS_SIGMA: Final = 1.0  # lognormal spread: median about 9 days, a tail of long stays
READMITTED_WITHIN_30_DAYS: Final = 0.245  # 23-26 %
READMISSIONS_WITHIN_3_DAYS: Final = 0.25  # a quarter of them

# Assumed shares (see the module docstring).
ACUTE_AMBULATORY: Final = 0.08  # STAA; most become a STIN within hours
ACUTE_AMBULATORY_ADMITTED: Final = 0.6
CHILD_YOUTH: Final = 0.08
LEAVE: Final = 0.3  # of stays of a week or more: a weekend at home (STOR, SLOR)
CORRECTED_ADMISSION: Final = 0.03  # RE_STIN
CANCELLED_ADMISSION: Final = 0.01  # AN_STIN: sent in error
CORRECTED_DISCHARGE: Final = 0.02  # RE_SLHJ
DEATH: Final = 0.003  # MORS
WEEKEND_DISCHARGE: Final = 0.10  # Friday from 12:00 or a weekend
WEEKEND_AGREED: Final = 0.35  # of those, agreed with the municipality in writing
PLAN_LATE: Final = 0.15  # fewer working days ahead than the agreement asks
PLAN_MISSING: Final = 0.10
NO_HANDOVER: Final = 0.04  # the discharge notice (SLHJ) comes alone
JSON_SENDER: Final = 0.15  # stays sent as plain JSON events rather than FHIR
PULLING_MUNICIPALITIES: Final = 0.3  # read their inbox rather than take webhooks
ANSWER: Final = {"in-time": 0.75, "late": 0.10, "not-ready": 0.08, "none": 0.07}


def admissions_per_year(region: str) -> float:
    """Admissions a year in a region: Denmark's, by the region's share of the population."""
    return ADMISSIONS_PER_YEAR_DENMARK * POPULATION[region] / sum(POPULATION.values())
