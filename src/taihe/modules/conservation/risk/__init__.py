"""Climate risk for every object and place, targeted preservation strategies, the ABC risk
register and the conservation overview (built on ``materials`` and the monitoring data)."""
