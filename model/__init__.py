"""fiscalsim: fiscal cost simulation of Changchun's draft S&T innovation policy.

The public API, one function per layer::

    scenario = model.load_scenario("baseline")          # or "baseline+cap_cut_20_max"
    results = model.simulate(scenario, 10_000, seed=1)  # cost by draw × item × year (yuan)
    summary = model.summarize(results, scenario)        # budget tables (money in *_yuan)
    model.to_unit(summary.tables["summary_by_year"], model.Unit.WAN)

The package is a stack of layers (``core`` → ``policy`` → ``finance`` → ``sim`` →
``analysis`` → ``report`` → ``cli``), each importing only those below it. The names
below are loaded on first use (PEP 562), so ``import model`` is cheap and imports no
plotting or file-format library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from model.core.version import package_version

#: Public name → the module that defines it.
_EXPORTS = {
    "InputError": "model.core.errors",
    "Problem": "model.core.errors",
    "PaymentKind": "model.core.schema",
    "Unit": "model.core.units",
    "Catalog": "model.policy.catalog",
    "LineItem": "model.policy.catalog",
    "load_catalog": "model.policy.catalog",
    "Scenario": "model.policy.scenario",
    "apply_variant": "model.policy.scenario",
    "assumption_rows": "model.policy.assumptions",
    "load_scenario": "model.policy.scenario",
    "TimingSettings": "model.policy.timing_settings",
    "simulate_programmes": "model.finance.programme",
    "summarize_programmes": "model.finance.programme",
    "expected_city_cost": "model.sim.analytic",
    "expected_demand": "model.sim.analytic",
    "simulate": "model.sim.engine",
    "simulate_chunks": "model.sim.engine",
    "Results": "model.sim.results",
    "TimelineResult": "model.sim.timeline",
    "timeline": "model.sim.timeline",
    "Comparison": "model.analysis.compare",
    "compare": "model.analysis.compare",
    "convergence": "model.analysis.convergence",
    "goal_seek": "model.analysis.goalseek",
    "sobol": "model.analysis.sensitivity",
    "tornado": "model.analysis.sensitivity",
    "RunAccumulator": "model.analysis.tables",
    "Summary": "model.analysis.tables",
    "summarize": "model.analysis.tables",
    "summarize_timeline": "model.analysis.timeline_tables",
    "RunOutput": "model.report.batch",
    "run_batch": "model.report.batch",
    "to_unit": "model.report.units",
}

__all__ = [
    "Catalog",
    "Comparison",
    "InputError",
    "LineItem",
    "PaymentKind",
    "Problem",
    "Results",
    "RunAccumulator",
    "RunOutput",
    "Scenario",
    "Summary",
    "TimelineResult",
    "TimingSettings",
    "Unit",
    "__version__",
    "apply_variant",
    "assumption_rows",
    "compare",
    "convergence",
    "expected_city_cost",
    "expected_demand",
    "goal_seek",
    "load_catalog",
    "load_scenario",
    "run_batch",
    "simulate",
    "simulate_chunks",
    "simulate_programmes",
    "sobol",
    "summarize",
    "summarize_programmes",
    "summarize_timeline",
    "timeline",
    "to_unit",
    "tornado",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on first use: importlib.metadata takes a while to load
        return package_version()
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'model' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:  # the names above, for type checkers and IDEs
    from model.analysis.compare import Comparison, compare
    from model.analysis.convergence import convergence
    from model.analysis.goalseek import goal_seek
    from model.analysis.sensitivity import sobol, tornado
    from model.analysis.tables import RunAccumulator, Summary, summarize
    from model.analysis.timeline_tables import summarize_timeline
    from model.core.errors import InputError, Problem
    from model.core.schema import PaymentKind
    from model.core.units import Unit
    from model.finance.programme import simulate_programmes, summarize_programmes
    from model.policy.assumptions import assumption_rows
    from model.policy.catalog import Catalog, LineItem, load_catalog
    from model.policy.scenario import Scenario, apply_variant, load_scenario
    from model.policy.timing_settings import TimingSettings
    from model.report.batch import RunOutput, run_batch
    from model.report.units import to_unit
    from model.sim.analytic import expected_city_cost, expected_demand
    from model.sim.engine import simulate, simulate_chunks
    from model.sim.results import Results
    from model.sim.timeline import TimelineResult, timeline
