"""fiscalsim: fiscal cost simulation of Changchun's draft S&T innovation policy.

The public API, one function per layer::

    scenario = load_scenario("baseline")            # or "baseline+cap_cut_20"
    results = simulate(scenario, 10_000, seed=1)    # cost by draw × item × year (yuan)
    summary = summarize(results, scenario)          # budget tables
"""

from model.analytic import expected_city_cost, expected_demand
from model.batch import RunOutput, run_batch
from model.catalog import Catalog, LineItem, load_catalog
from model.engine import simulate, simulate_chunks
from model.errors import InputError, Problem
from model.results import Results
from model.scenario import Scenario, apply_variant, assumption_rows, load_scenario
from model.schema import PaymentKind, Unit
from model.tables import RunAccumulator, Summary, in_unit, summarize
from model.timeline import TimelineResult, timeline
from model.timeline_report import summarize_timeline
from model.timing import TimingSettings

__all__ = [
    "Catalog",
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
    "apply_variant",
    "assumption_rows",
    "expected_city_cost",
    "expected_demand",
    "in_unit",
    "load_catalog",
    "load_scenario",
    "run_batch",
    "simulate",
    "simulate_chunks",
    "summarize",
    "summarize_timeline",
    "timeline",
]
