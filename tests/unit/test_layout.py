"""The repository's top level is the architecture: generic package names that are ours alone,
and modules that import each other in one direction only."""

from __future__ import annotations

import tomllib
from importlib import import_module
from importlib.metadata import packages_distributions
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = "billing-bot"


def _top_level_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({name.split(".")[0] for name in included})


TOP_LEVEL = _top_level_packages()


def test_the_design_cards_folders_are_at_the_top_and_src_is_gone() -> None:
    folders = {path.name for path in ROOT.iterdir() if path.is_dir()}

    assert {"bot", "domain", "storage", "tests"} <= folders
    assert set(TOP_LEVEL) <= folders
    assert "src" not in folders


def test_each_top_level_package_is_provided_by_this_distribution_alone() -> None:
    # A dependency shipping its own `bot` or `storage` would shadow ours (or be shadowed)
    # depending on sys.path order; this fails the suite the day one is installed.
    providers = packages_distributions()

    others = {
        package: sorted(set(providers.get(package, [])) - {DISTRIBUTION}) for package in TOP_LEVEL
    }

    assert {package: names for package, names in others.items() if names} == {}
    assert all(DISTRIBUTION in providers.get(package, []) for package in TOP_LEVEL)


def test_each_top_level_package_is_imported_from_this_checkout() -> None:
    for package in TOP_LEVEL:
        location = Path(import_module(package).__file__ or "").resolve()

        assert location.parent == ROOT / package, f"{package} comes from {location}"


def test_no_two_modules_of_the_project_import_each_other() -> None:
    graph = grimp.build_graph(*TOP_LEVEL, exclude_type_checking_imports=True)

    cycles = _import_cycles(graph)

    assert cycles == []


def _import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that reach each other through imports (Tarjan's strongly connected
    components, iterative so that a long import chain cannot overflow the stack)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = lowest[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, imported = work[-1]
            for target in imported:
                if target not in index:
                    index[target] = lowest[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append(
                        (target, iter(sorted(graph.find_modules_directly_imported_by(target))))
                    )
                    break
                if target in on_stack:
                    lowest[module] = min(lowest[module], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowest[parent] = min(lowest[parent], lowest[module])
                if lowest[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles
