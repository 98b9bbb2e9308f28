"""Demo climate risk: the demo museum's objects assessed from their materials and the year of
demo readings, so the overview and the objects' climate-risk panels are filled after
``make run`` (the nightly job would otherwise fill them the next night)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taihe.kernel import demo as kernel_demo
from taihe.modules.conservation.models import ObjectAssessment
from taihe.modules.conservation.risk import services


@kernel_demo.register("conservation.risk", order=57)
def load(write: Callable[[str], None]) -> dict[str, Any]:
    """Assess every place with sensors and the objects there (after the monitoring and
    prediction demos: open equipment anomalies become "fix the equipment" strategies).
    Does nothing when assessments exist already."""
    if ObjectAssessment.objects.exists():
        return {"objects": ObjectAssessment.objects.count(), "created": 0}
    assessed = services.do_assess_all()
    write(f"climate risk: {assessed} objects assessed")
    return {"objects": assessed, "created": assessed}
