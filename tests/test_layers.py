"""The layers import in one direction: db/ at the bottom, then bot/services/, then handlers.

Read from the source (the AST), so an import hidden under `if TYPE_CHECKING:` or inside a
function counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def imports_of(folder: str, *packages: str) -> list[str]:
    """Where modules under `folder` import any of `packages` (or their submodules)."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, module in imported_modules(path):
            if any(module == p or module.startswith(p + ".") for p in packages):
                found.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    return found


def test_the_storage_imports_nothing_from_the_bot() -> None:
    assert imports_of("db", "bot") == []


def test_services_know_no_telegram_and_no_handlers() -> None:
    assert imports_of("bot/services", "telegram", "bot.handlers") == []


def test_handlers_do_not_import_each_other() -> None:
    """Shared pieces live outside bot/handlers (menu, callbacks, keys, replies, services);
    inside a feature's own package its modules may import one another."""
    found = []
    handlers = ROOT / "bot" / "handlers"
    for path in sorted(handlers.rglob("*.py")):
        own = path.relative_to(handlers).parts
        feature = own[0].removesuffix(".py")
        for line, module in imported_modules(path):
            if module.startswith("bot.handlers."):
                target = module.removeprefix("bot.handlers.").split(".")[0]
                if target != feature:
                    found.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert found == []


def test_the_sandbox_and_benchmarks_do_not_use_the_tests() -> None:
    assert imports_of("sandbox", "tests") == []
    assert imports_of("bench", "tests") == []


def test_no_private_modules_of_python_telegram_bot() -> None:
    private = [
        hit
        for folder in ("bot", "db", "sandbox", "bench")
        for hit in imports_of(folder, "telegram", "telegram.ext")
        if any(part.startswith("_") for part in hit.rsplit(": ", 1)[1].split("."))
    ]
    assert private == []
