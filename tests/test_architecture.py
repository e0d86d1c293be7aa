"""The package's shape: layers that import only downward, no import cycle, no import of
``model`` hidden inside a function, modules of a readable size, and a light start.

The layers, bottom to top, are ``core`` → ``policy`` → ``finance`` → ``sim`` →
``analysis`` → ``report`` → ``cli`` (``finance`` sits below ``sim`` because the engine runs
the capital programmes as rows of its results). ``model/__init__.py`` is the facade
above them all.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

MODEL = Path(__file__).resolve().parent.parent / "model"
LAYERS = ("core", "policy", "finance", "sim", "analysis", "report", "cli")
#: A module's size beyond which it holds more than one concept.
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(MODEL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(MODEL.rglob("*.py"))}


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported model module, line, inside a function) of every import of ``model``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module == "model" or child.module.startswith("model."):
                    for alias in child.names:  # `from model.x import y` may import module x.y
                        candidate = f"{child.module}.{alias.name}"
                        target = candidate if candidate in _MODULES else child.module
                        found.append((target, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "model" or alias.name.startswith("model."):
                        found.append((alias.name, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


_MODULES = _modules()


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_belongs_to_a_layer():
    loose = [m for m in _MODULES if _layer(m) is None and m not in ("model", "model.__main__")]
    assert loose == []


@pytest.mark.parametrize("module", sorted(_MODULES), ids=lambda m: m)
def test_no_import_points_up_a_layer(module):
    own = _layer(module)
    if own is None:  # the facade and `python -m model` stand above every layer
        return
    upward = [
        f"line {line}: {target}"
        for target, line, _ in _imports(_MODULES[module])
        if (_layer(target) or 0) > own
    ]
    assert upward == [], f"{module} imports a higher layer"


def test_no_model_import_is_hidden_in_a_function():
    hidden = [
        f"{module} line {line}: {target}"
        for module, path in _MODULES.items()
        for target, line, in_function in _imports(path)
        if in_function
    ]
    assert hidden == []


def test_there_is_no_import_cycle():
    graph = {
        module: {t for t, _, _ in _imports(path) if t in _MODULES and t != module}
        for module, path in _MODULES.items()
        if module != "model"  # the facade's lazy names are not imports of its layers
    }
    graph = {m: {t for t in targets if t != "model"} for m, targets in graph.items()}
    cycles = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


#: The only modules that may import by name at run time: the facade's lazy names
#: (PEP 562) and the command registry, which loads its own layer's command modules.
DYNAMIC_IMPORTERS = {"model", "model.cli.main"}


def _dynamic_imports(path: Path) -> list[int]:
    """Lines that call ``importlib.import_module`` or ``__import__``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                lines.append(node.lineno)
    return lines


def test_no_import_by_name_dodges_the_layers():
    dodges = [
        f"{module} line {line}"
        for module, path in _MODULES.items()
        if module not in DYNAMIC_IMPORTERS
        for line in _dynamic_imports(path)
    ]
    assert dodges == []


def test_the_command_registry_loads_only_command_modules():
    from model.cli.main import COMMANDS

    outside = [c.module for c in COMMANDS.values() if not c.module.startswith("model.cli.")]
    assert outside == []


@pytest.mark.parametrize("module", sorted(_MODULES), ids=lambda m: m)
def test_modules_stay_readable(module):
    lines = len(_MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by concept"


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``, with the
    top-level package of each (``scipy.stats`` and ``scipy``)."""
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    names = set(done.stdout.split())
    return names | {name.split(".")[0] for name in names}


def test_the_help_loads_no_numerical_plotting_or_file_format_library():
    code = (
        "from model.cli.main import build_parser\n"
        "try:\n    build_parser().parse_args(['--help'])\nexcept SystemExit:\n    pass"
    )
    loaded = _loaded_after(code)
    assert not loaded & {"matplotlib", "pyarrow", "openpyxl", "numpy", "pandas", "scipy"}


def test_importing_the_package_and_loading_a_scenario_load_no_heavy_library():
    loaded = _loaded_after("import model\nmodel.load_scenario('baseline')")
    assert not loaded & {"matplotlib", "pyarrow", "openpyxl", "pandas", "scipy.stats"}


def test_simulating_and_summarizing_load_no_plotting_or_excel_library():
    # pandas itself loads pyarrow when it is installed, and the tables need pandas
    code = (
        "import model\ns = model.load_scenario('baseline')\n"
        "model.summarize(model.simulate(s, 50, seed=1), s)"
    )
    assert not _loaded_after(code) & {"matplotlib", "openpyxl"}


def test_the_public_api_names_what_it_exports():
    import model

    exports = set(model._EXPORTS)
    assert set(model.__all__) == exports | {"__version__"}
    for name in sorted(exports):
        assert getattr(model, name) is not None
    assert isinstance(model.__version__, str) and model.__version__
