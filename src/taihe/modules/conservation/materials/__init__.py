"""Material sensitivity knowledge: a sourced rule base and a medium-string classifier.

Django-free. ``load_rule_base()`` reads and validates ``rules.json``; ``classify_medium()``
reads free-text medium descriptions (English and Chinese) into rule-base material keys.
See ``README.md`` in this package for the data shape and how to add a material.
"""

from .classifier import MaterialMatch, classify_medium
from .knowledge import (
    AGENT_KEYS,
    Agent,
    Bands,
    Material,
    RuleBase,
    Sensitivity,
    Source,
    Strategy,
    load_rule_base,
)

__all__ = [
    "AGENT_KEYS",
    "Agent",
    "Bands",
    "Material",
    "MaterialMatch",
    "RuleBase",
    "Sensitivity",
    "Source",
    "Strategy",
    "classify_medium",
    "load_rule_base",
]
