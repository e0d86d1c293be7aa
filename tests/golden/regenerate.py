"""Regenerate the golden outputs of the shipped scenarios.

    python tests/golden/regenerate.py

Every shipped scenario (the baseline, the check scenario and each variant applied to the
baseline) is run with :func:`model.run_batch` at a pinned seed and a small number of draws,
and its CSV tables are copied here, one folder per scenario. ``tests/test_golden.py``
reruns them and compares every file byte for byte. A change that alters any draw must
regenerate these files in the same commit and say why in its message.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
ROOT = GOLDEN.parent.parent
#: Pinned run settings of the golden outputs.
SEED = 20250101
DRAWS = 400
BUDGET_YUAN = 1.0e9


def scenarios() -> dict[str, str]:
    """Folder name → scenario reference of every shipped scenario."""
    refs = {
        "baseline": "baseline",
        "deterministic": str(ROOT / "scenarios/checks/deterministic.yaml"),
    }
    for path in sorted((ROOT / "scenarios" / "variants").glob("*.yaml")):
        refs[path.stem] = str(path)
    return refs


def run(reference: str, out_dir: Path) -> list[Path]:
    """Run one scenario into ``out_dir``; its CSV files, sorted."""
    import model

    model.run_batch(
        model.load_scenario(reference),
        draws=DRAWS,
        seed=SEED,
        out_dir=out_dir,
        budget_yuan=BUDGET_YUAN,
        write_draws=False,
        progress=False,
    )
    return sorted(out_dir.glob("*.csv"))


def main() -> int:
    for name, reference in scenarios().items():
        target = GOLDEN / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        with tempfile.TemporaryDirectory() as tmp:
            for path in run(reference, Path(tmp) / "out"):
                shutil.copyfile(path, target / path.name)
        print(f"{name}: {len(list(target.iterdir()))} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
