"""The architecture's dependency rules, checked from the source (AST), not from a running import.

Every ``import`` statement counts, including those inside functions: a lazy import is
still a dependency. Rules (ARCHITECTURE.md, "Rules the code keeps"):
* pruners reach neither transformers nor lmms-eval (nor accelerate), directly or through
  any package module they import, nor the engine (it calls them, not the other way);
* the lmms-eval registration module and the name catalogue reach no torch;
* results tooling (leaderboard/), the grid runner (sweep/, but for its worker program) and task
  utilities never reach the engine or the models;
* the engine, the model integrations and the efficiency benchmark never reach lmms-eval;
* model internals are named only under ``headrouter_eval/models/``: nothing else imports
  ``transformers.models.*`` or a model class, or touches a decoder's attributes.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "headrouter_eval"
# tasks/ is reachable as headrouter_eval/tasks (a link, so the YAMLs ship in the wheel)
TASK_UTILS = sorted((ROOT / "tasks").rglob("*.py"))

# attribute names that only a family's integration module may use: where the decoder,
# its layers' parts and the config's sub-configs live, and private kernel settings
INTERNAL_ATTRIBUTES = {
    "self_attn", "language_model", "audio_tower", "input_layernorm", "q_proj", "k_proj", "v_proj", "o_proj",
    "q_norm", "k_norm", "rotary_emb", "layer_idx", "num_key_value_groups", "text_config", "audio_config",
    "thinker_config", "_attn_implementation", "set_attn_implementation",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
MODULES.update({"headrouter_eval." + module_name(p): p for p in TASK_UTILS})


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (type-only imports are not dependencies)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


@cache
def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"))


@cache
def import_statements(name: str, include_type_only: bool = False) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per import statement of module ``name``: the absolute module it names (relative imports
    resolved) and the package modules among its imported names (``from pkg import module``)."""
    path = MODULES[name]
    tree = _tree(name)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    statements = []
    for node in ast.walk(tree) if include_type_only else _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            statements += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            statements.append((base, tuple(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES)))
    return tuple(statements)


@cache
def direct_imports(name: str) -> frozenset[str]:
    """Absolute names of everything module ``name`` imports (package modules resolved to modules)."""
    found = set()
    for base, modules in import_statements(name):
        found.update([base, *modules])
    # importing a.b.c runs a/__init__ and a/b/__init__ too
    with_parents = set(found)
    for item in found:
        parts = item.split(".")
        with_parents.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(with_parents)


@cache
def reachable(name: str) -> frozenset[str]:
    """Everything ``name`` imports, transitively through package modules."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        for item in direct_imports(current):
            if item not in seen:
                seen.add(item)
                if item in MODULES:
                    todo.append(item)
    return frozenset(seen)


def external(name: str) -> set[str]:
    return {item.split(".")[0] for item in reachable(name) if not item.startswith("headrouter_eval")}


def path_to(start: str, target_prefix: str) -> list[str]:
    """One import chain from ``start`` to a module starting with ``target_prefix`` (for messages)."""
    parents, todo = {start: None}, [start]
    while todo:
        current = todo.pop(0)
        for item in sorted(direct_imports(current)):
            if item in parents:
                continue
            parents[item] = current
            if item == target_prefix or item.startswith(target_prefix + "."):
                chain = [item]
                while parents[chain[-1]] is not None:
                    chain.append(parents[chain[-1]])
                return chain[::-1]
            if item in MODULES:
                todo.append(item)
    return []


PRUNER_MODULES = sorted(m for m in MODULES if m.startswith("headrouter_eval.pruners"))


@pytest.mark.parametrize("module", PRUNER_MODULES)
def test_pruners_reach_neither_transformers_nor_lmms_eval(module):
    for banned in ("transformers", "lmms_eval", "accelerate"):
        assert banned not in external(module), f"{module} reaches {banned}: {' -> '.join(path_to(module, banned))}"
    for banned in ("headrouter_eval.engine", "headrouter_eval.models", "headrouter_eval.adapters"):
        assert not path_to(module, banned), " -> ".join(path_to(module, banned))


@pytest.mark.parametrize("module", ["headrouter_eval.registry", "headrouter_eval.catalog"])
def test_registration_reaches_no_torch(module):
    assert "torch" not in external(module), " -> ".join(path_to(module, "torch"))
    assert "transformers" not in external(module), " -> ".join(path_to(module, "transformers"))


MODEL_SIDE = sorted(m for m in MODULES if m.split(".")[:2] in (["headrouter_eval", "engine"],
                                                                ["headrouter_eval", "models"],
                                                                ["headrouter_eval", "bench"]))


@pytest.mark.parametrize("module", MODEL_SIDE)
def test_engine_models_and_bench_never_reach_lmms_eval(module):
    """Only the adapter (and tools that read lmms-eval tasks) pull in lmms-eval and accelerate."""
    for banned in ("lmms_eval", "accelerate"):
        assert banned not in external(module), f"{module} reaches {banned}: {' -> '.join(path_to(module, banned))}"


# the grid runner (sweep/) is held to the same rule, but for its worker program (sweep/worker.py),
# which runs in a process of its own and drives lmms-eval and the adapter as `python -m lmms_eval` does
GRID_WORKER = "headrouter_eval.sweep.worker"
RESULTS_TOOLING = sorted(m for m in MODULES if m.startswith(("headrouter_eval.leaderboard", "headrouter_eval.sweep"))
                         and m != GRID_WORKER)


@pytest.mark.parametrize("module", RESULTS_TOOLING)
def test_results_tooling_never_reaches_the_engine(module):
    for banned in ("headrouter_eval.engine", "headrouter_eval.models", "headrouter_eval.adapters"):
        assert not path_to(module, banned), " -> ".join(path_to(module, banned))


@pytest.mark.parametrize("path", TASK_UTILS, ids=lambda p: str(p.relative_to(ROOT)))
def test_task_utilities_never_reach_the_engine(path):
    module = "headrouter_eval." + module_name(path)
    for banned in ("headrouter_eval.engine", "headrouter_eval.models", "headrouter_eval.adapters"):
        assert not path_to(module, banned), " -> ".join(path_to(module, banned))


OUTSIDE_MODELS = sorted(m for m in MODULES if not m.startswith("headrouter_eval.models"))


@cache  # dir() of transformers' lazy module takes half a second
def _model_classes() -> frozenset[str]:
    import transformers

    return frozenset(name for name in dir(transformers) if name.endswith(("ForConditionalGeneration", "Processor"))
                     and name.startswith(("Qwen", "Voxtral")))


@pytest.mark.parametrize("module", OUTSIDE_MODELS)
def test_model_internals_are_named_only_in_the_integration_modules(module):
    tree = _tree(module)
    model_classes = _model_classes()
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("transformers"):
            if node.module.startswith("transformers.models"):
                problems.append(f"line {node.lineno}: imports {node.module}")
            problems += [f"line {node.lineno}: imports {a.name}" for a in node.names if a.name in model_classes]
        elif isinstance(node, ast.Import):
            problems += [f"line {node.lineno}: imports {a.name}" for a in node.names
                         if a.name.startswith("transformers.models")]
        elif isinstance(node, ast.Attribute) and node.attr in INTERNAL_ATTRIBUTES:
            problems.append(f"line {node.lineno}: .{node.attr}")
    assert not problems, f"{MODULES[module].relative_to(ROOT)} names model internals: {problems}"


def test_the_checks_see_real_imports():
    """Guard against a checker that passes because it reads nothing."""
    assert "torch" in external("headrouter_eval.pruners.base")
    assert "headrouter_eval.pruners.layout" in reachable("headrouter_eval.pruners.base")
    assert "transformers" in external("headrouter_eval.models.qwen_omni")
    assert path_to("headrouter_eval.adapters.lmms_model", "headrouter_eval.engine")
    assert "lmms_eval" in external("headrouter_eval.registry")


def test_no_test_module_imports_another():
    """Shared test helpers live in helper modules (conftest, *_testkit, lmms_cli...), not in test files:
    importing a test module runs its tests' module-level setup and collects its tests twice."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} imports {name}" for name in names
                          if name.rpartition(".")[2].startswith("test_")]
    assert not offenders, offenders


RESULTS_TOOLING = sorted(m for m in MODULES if m.startswith("headrouter_eval.leaderboard.")
                         and MODULES[m].name != "__init__.py")


def _module_imports(name: str, include_type_only: bool) -> set[str]:
    """The results-tooling modules ``name`` imports, type-only imports included when asked
    (a cycle that only type hints close still ties the two modules to each other)."""
    found = set()
    for base, modules in import_statements(name, include_type_only):
        found.update([base, *modules])
    return (found & set(RESULTS_TOOLING)) - {name}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle in ``graph`` as a list of modules (first repeated at the end), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_results_tooling_has_no_import_cycle():
    graph = {m: _module_imports(m, include_type_only=True) for m in RESULTS_TOOLING}
    cycle = _cycle(graph)
    assert not cycle, "results tooling imports in a circle: " + " -> ".join(cycle)


def test_the_cycle_check_finds_a_cycle():
    """Guard against a check that passes because it reads nothing."""
    assert "headrouter_eval.leaderboard.run_record" in _module_imports("headrouter_eval.leaderboard.runs", True)
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_no_module_reads_a_pruners_private_profile():
    """The adapter asks a pruner for its calibration profile through the public hook
    (``Pruner.calibration_profile``); ``_profile`` stays HeadRouter's own."""
    owner = "headrouter_eval.pruners.headrouter"
    readers = sorted(name for name in MODULES if name != owner and any(
        isinstance(node, ast.Attribute) and node.attr == "_profile" for node in ast.walk(_tree(name))))
    assert not readers, f"{readers} read a pruner's private _profile; use Pruner.calibration_profile()"
    assert any(isinstance(node, ast.Attribute) and node.attr == "_profile"
               for node in ast.walk(_tree(owner)))  # the check sees it


@cache
def explicit_imports(name: str) -> frozenset[str]:
    """Package modules ``name`` imports by name (``from pkg import f`` counts as importing ``pkg``):
    the edges along which a cycle makes one module run before another has finished."""
    found = set()
    for base, modules in import_statements(name):
        found.update(modules or [base])
    return frozenset(item for item in found if item in MODULES)


def test_no_import_cycle_in_the_package():
    """No module reaches itself by named imports, lazy ones included; the checkpoint loader is a leaf
    of models/ (it reads family names from the catalog, so naming a checkpoint's family imports no family)."""
    cycles = []
    for start in sorted(MODULES):
        seen, todo = set(), sorted(explicit_imports(start))
        while todo:
            current = todo.pop()
            if current == start:
                cycles.append(start)
                break
            if current not in seen:
                seen.add(current)
                todo.extend(explicit_imports(current))
    assert not cycles, f"modules on an import cycle: {cycles}"
    assert not {m for m in explicit_imports("headrouter_eval.models.loading") if m.startswith("headrouter_eval.models")}
    assert "headrouter_eval.models" in explicit_imports("headrouter_eval.models.qwen_omni") or \
        "headrouter_eval.models.base" in explicit_imports("headrouter_eval.models.qwen_omni")  # the check sees edges


def test_the_catalog_is_the_one_home_of_family_names():
    from headrouter_eval.catalog import FAMILIES, MODEL_TYPES, TITLES, family_of_model_type
    from headrouter_eval.models import get_family

    assert set(MODEL_TYPES) == set(TITLES) == set(FAMILIES)
    for name in FAMILIES:
        family = get_family(name)
        assert (family.model_types, family.title) == (MODEL_TYPES[name], TITLES[name])
        assert all(family_of_model_type(model_type) == name for model_type in MODEL_TYPES[name])
    assert family_of_model_type("qwen2") is None
