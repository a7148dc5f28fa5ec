"""The installed package carries only what a counter PC runs (issue 19 item 4).

Benchmarks and the throw-away PostgreSQL cluster live in the repository's tools/
package: nothing under dxdesk/ may import it (a frozen build would fail there), and
the installed ``dxdesk`` command line offers no benchmark. The one exception is
``dxdesk db bench-sync`` (issue #13 names it): registered only when dxdesk runs from a
checkout that has tools/bench, and it imports tools only then.
"""
import argparse
import ast
from pathlib import Path

import dxdesk
from dxdesk.cli import build_parser

PACKAGE_DIR = Path(dxdesk.__file__).parent


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


# Modules that reach into tools/ only behind a "running from a checkout" guard, tested below.
CHECKOUT_ONLY = ["store/benchsynccli.py"]


def test_package_never_imports_the_repository_tools():
    offenders = sorted(str(p.relative_to(PACKAGE_DIR)) for p in PACKAGE_DIR.rglob("*.py")
                       if "tools" in _top_level_imports(p))
    assert offenders == CHECKOUT_ONLY


def test_checker_sees_a_tools_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tools.pgcluster import PgCluster\n", encoding="utf-8")
    assert "tools" in _top_level_imports(bad)


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.append(prefix + (name,))
                paths.extend(_command_paths(sub, prefix + (name,)))
    return paths


def test_installed_cli_offers_no_benchmark(tmp_path, monkeypatch):
    # An installed or frozen build: the package sits in site-packages, with no tools/ beside it.
    monkeypatch.setattr(dxdesk, "__file__", str(tmp_path / "site-packages" / "dxdesk" / "__init__.py"))
    paths = _command_paths(build_parser())
    assert ("card", "status") in paths and ("form", "fill") in paths
    assert [p for p in paths if any("bench" in part for part in p)] == []


def test_a_checkout_offers_only_the_sync_bench_by_its_issue_name():
    paths = _command_paths(build_parser())
    assert [p for p in paths if any("bench" in part for part in p)] == [("db", "bench-sync")]
