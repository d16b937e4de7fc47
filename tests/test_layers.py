"""The dependency rules of the layout (README, "Where things live"), checked
on the source: every import statement of every module of ``crawler``,
``pipelines`` and ``settings`` (function-level ones included), read with
``ast``, plus a fresh interpreter that imports the Scrapy-free packages and
looks at ``sys.modules``."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OURS = ("crawler", "pipelines", "settings")
SCRAPY = ("scrapy", "twisted", "scrapy_redis")


@dataclass(frozen=True)
class Import:
    importer: str  # module that imports
    imported: str  # module (or module.name) imported
    line: int
    in_function: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for top in OURS for p in sorted((REPO / top).rglob("*.py"))}


def _imports_of(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(inner) for inner in ast.walk(node) if isinstance(inner, (ast.Import, ast.ImportFrom)))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.extend(Import(name, target, node.lineno, id(node) in in_function) for target in targets)
    return found


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The module of ours an imported name lives in (``a.b.NAME`` -> ``a.b``)."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def import_graph() -> tuple[dict[str, Path], list[Import]]:
    modules = _modules()
    return modules, [imp for name, path in modules.items() for imp in _imports_of(name, path)]


def violations() -> list[str]:
    """Every broken rule, one line each (empty when the layout keeps them)."""
    modules, imports = import_graph()
    broken = []
    ours = [(imp, _resolve(imp.imported, modules)) for imp in imports]
    ours = [(imp, target) for imp, target in ours if target and target != imp.importer]

    def rule(text: str, imp: Import) -> None:
        broken.append(f"{text}: {imp.importer} imports {imp.imported} (line {imp.line})")

    for imp, target in ours:
        if _within(imp.importer, "crawler.rights") and not _within(target, "crawler.rights"):
            rule("the rights core imports nothing of ours outside itself", imp)
        if _within(imp.importer, "crawler.fetch") and _within(target, "pipelines"):
            rule("fetching never imports the output pipelines (send a signal)", imp)
        if _within(target, "crawler.commands") and not _within(imp.importer, "crawler.commands"):
            rule("nothing imports the command line", imp)
        if imp.in_function and not _within(imp.importer, "crawler.commands"):
            rule("function-level imports of our modules only in a command (deferring its tool)", imp)
    for imp in imports:
        top = imp.imported.split(".")[0]
        if top in SCRAPY and _within(imp.importer, "pipelines.formats"):
            rule("record formats import no Scrapy", imp)
        if top in SCRAPY and _within(imp.importer, "pipelines.dataset"):
            rule("the offline dataset tools import no Scrapy", imp)
        if top in SCRAPY and _within(imp.importer, "crawler.rights"):
            rule("the rights core imports no Scrapy", imp)

    for name, path in modules.items():
        for line in _crawler_attributes_set(path):
            broken.append(f"components talk through signals, not attributes set on the crawler: {name} line {line}")

    graph: dict[str, set[str]] = {}
    for imp, target in ours:
        graph.setdefault(imp.importer, set()).add(target)
    broken.extend(f"no import cycle among our modules: {' -> '.join(cycle)}" for cycle in _cycles(graph))
    return broken


def _crawler_attributes_set(path: Path) -> list[int]:
    """Lines that set an attribute on a crawler (``crawler.x = …``, ``self.crawler.x = …``)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            if isinstance(target, ast.Attribute):
                owner = target.value
                owner_name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
                if owner_name == "crawler":
                    lines.append(node.lineno)
    return lines


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(_a_cycle(sorted(component), graph))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _a_cycle(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A readable cycle through the first module of a component (breadth-first back to it)."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return paths[node] + [start]
            if nxt in members and nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return component  # pragma: no cover - a component always has a cycle


def test_the_layout_keeps_its_dependency_rules() -> None:
    assert violations() == []


def test_the_check_sees_every_package_and_reads_function_level_imports() -> None:
    modules, imports = import_graph()
    for package in ("crawler.rights", "crawler.model", "crawler.fetch", "crawler.commands", "pipelines.formats", "pipelines.dataset", "settings"):
        assert package in modules
    deferred = {imp.imported for imp in imports if imp.in_function}
    assert "pipelines.dataset.lookup.lookup" in deferred  # the lookup command defers its tool


def test_a_broken_rule_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself, on a copy of the tree with two rules broken on purpose."""
    import shutil

    for top in OURS:
        shutil.copytree(REPO / top, tmp_path / top)
    with (tmp_path / "crawler" / "rights" / "policy.py").open("a") as handle:
        handle.write("\nfrom crawler.urls import origin_of  # noqa\n")
    with (tmp_path / "pipelines" / "formats" / "parquet.py").open("a") as handle:
        handle.write("\nfrom pipelines.tables import DocumentsPipeline  # noqa\n")
    with (tmp_path / "crawler" / "fetch" / "politeness.py").open("a") as handle:
        handle.write("\n\ndef _share(crawler):\n    crawler.tdmcrawl_politeness = None\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    found = violations()
    assert any(line.startswith("the rights core imports nothing of ours outside itself: crawler.rights.policy imports crawler.urls.origin_of") for line in found), found
    assert any(line.startswith("no import cycle among our modules:") and "pipelines.formats.parquet" in line for line in found), found
    assert any(line.startswith("components talk through signals, not attributes set on the crawler: crawler.fetch.politeness") for line in found), found


@pytest.mark.parametrize(
    "modules",
    [
        ["crawler.rights.stages", "crawler.rights.licence", "crawler.rights.media", "crawler.rights.registry"],
        ["pipelines.formats.warc", "pipelines.formats.parquet", "pipelines.formats.schema"],
        ["pipelines.dataset.summary", "pipelines.dataset.lookup", "pipelines.dataset.remove", "pipelines.dataset.reextract", "pipelines.dataset.recovery", "pipelines.dataset.croissant"],
        ["pipelines.extraction", "crawler.page"],
    ],
)
def test_scrapy_free_packages_load_without_scrapy(modules: list[str]) -> None:
    """Imported in a fresh interpreter, these never pull in Scrapy or Twisted
    (directly or through anything they import)."""
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + (
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'scrapy_redis'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
