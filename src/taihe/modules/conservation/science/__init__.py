"""Conservation science: published environmental metrics for collections, numpy/scipy only.

Django-free. Inputs are temperature in °C, relative humidity in % (0–100), illuminance in lux,
and timestamps as ``numpy.datetime64`` arrays or POSIX seconds. Point functions broadcast and
return a ``float`` for scalar input; series functions weight each reading by its duration and
never bridge a gap longer than ``max_gap`` (default twice the median interval). Invalid input
raises ``ValueError`` naming the argument, index and value. Formulas, constants and sources:
``README.md`` in this package and ``conservation.md`` in the research notes.
"""

from .ageing import lifetime_multiplier, preservation_index, series_coverage, twpi
from .climate_classes import (
    ASHRAE_CLASSES,
    AshraeClass,
    AshraeCompliance,
    AshraeEnvelope,
    EN15757Band,
    ashrae_compliance,
    ashrae_envelope,
    en15757_band,
)
from .light import (
    CIE157_CATEGORIES,
    JNF_UV_FILTERED_MLXH,
    CIE157Category,
    cie157_category,
    light_exposure,
    years_to_just_noticeable_fade,
)
from .mould import SENSITIVITY_CLASSES, SensitivityClass, vtt_mould_index, vtt_rh_critical
from .psychrometrics import (
    absolute_humidity,
    dew_point,
    mixing_ratio,
    saturation_vapour_pressure,
)
from .ratings import IPIRatings, Rating, ipi_ratings
from .wood import emc_wood

__all__ = [
    "ASHRAE_CLASSES",
    "CIE157_CATEGORIES",
    "JNF_UV_FILTERED_MLXH",
    "SENSITIVITY_CLASSES",
    "AshraeClass",
    "AshraeCompliance",
    "AshraeEnvelope",
    "CIE157Category",
    "EN15757Band",
    "IPIRatings",
    "Rating",
    "SensitivityClass",
    "absolute_humidity",
    "ashrae_compliance",
    "ashrae_envelope",
    "cie157_category",
    "dew_point",
    "emc_wood",
    "en15757_band",
    "ipi_ratings",
    "lifetime_multiplier",
    "light_exposure",
    "mixing_ratio",
    "preservation_index",
    "saturation_vapour_pressure",
    "series_coverage",
    "twpi",
    "vtt_mould_index",
    "vtt_rh_critical",
    "years_to_just_noticeable_fade",
]
