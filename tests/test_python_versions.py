"""scalelint runs on the oldest Python that pyproject.toml admits, not only the one CI uses."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Import every module of the package. A third-party package this interpreter lacks is
# fine (nothing is installed for it); anything else failing, such as a name the standard
# library of that version does not have, is what this looks for.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import scalelint
failed, imported = {}, []
for m in pkgutil.walk_packages(scalelint.__path__, "scalelint."):
    if m.name.endswith("__main__"):
        continue  # it runs the command line
    try:
        importlib.import_module(m.name)
        imported.append(m.name)
    except ModuleNotFoundError as e:
        top = (e.name or "").split(".")[0]
        if top == "scalelint" or top in sys.stdlib_module_names:
            failed[m.name] = repr(e)
    except Exception as e:
        failed[m.name] = repr(e)
print(json.dumps({"failed": failed, "imported": imported}))
"""


def _oldest_supported() -> str:
    """From `requires-python = ">=3.10"` (read as text: `tomllib` is not in 3.10 either)."""
    text = (REPO / "pyproject.toml").read_text()
    return re.search(r'^requires-python\s*=\s*">=\s*(3\.\d+)"', text, re.M).group(1)


def _interpreter(version: str) -> str | None:
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(
        map(str, Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    )
    for c in candidates:
        if c and subprocess.run([c, "-c", "pass"], capture_output=True).returncode == 0:
            return c
    return None


def test_every_module_imports_on_the_oldest_supported_python():
    version = _oldest_supported()
    python = _interpreter(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    run = subprocess.run(
        [python, "-c", IMPORT_ALL],
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(run.stdout)
    assert result["failed"] == {}
    assert {"scalelint.records", "scalelint.findings", "scalelint.timing"} <= set(
        result["imported"]
    )
