"""The science library stands alone: importing it loads neither Django nor Taihe's platform."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[4] / "src"


def test_importing_the_library_loads_no_django() -> None:
    code = (
        "import sys\n"
        "import taihe.modules.conservation.science as science\n"
        "assert science.dew_point(20.0, 50.0) > 9\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'ninja'}"
        " or m.startswith('taihe.kernel') or m.startswith('taihe.config'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, check=True)
    assert result.stdout.strip() == ""
