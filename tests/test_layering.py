"""One-way dependencies: the scene generator (omnigame.synthetic) builds on the library core,
the core never imports the generator, and only the command-line entry points use both."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "omnigame"
GENERATOR = "omnigame.synthetic"
MAY_USE_GENERATOR = {"omnigame.cli"}  # entry points: the demo scene, streamed pretraining


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set:
    """Absolute names of every module `path` imports, lazy (in-function) imports included."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            prefix = ".".join(base) if node.level else ""
            module = ".".join(p for p in (prefix, node.module or "") if p)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def core_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if not (name == GENERATOR or name.startswith(GENERATOR + ".")):
            yield path, name


def test_module_name_resolution():
    path = PACKAGE / "synthetic" / "scene.py"
    assert module_name(path) == "omnigame.synthetic.scene"
    assert "omnigame.io.video" in imported_modules(path)  # from ..io.video import Video


def test_library_core_never_imports_the_generator():
    offenders = {name: sorted(m for m in imported_modules(path)
                              if m == GENERATOR or m.startswith(GENERATOR + "."))
                 for path, name in core_modules() if name not in MAY_USE_GENERATOR}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_separate_generator_package_to_cycle_through():
    users = [name for path, name in core_modules() if any(
        m.split(".")[0] == "synthetic_scenes" for m in imported_modules(path))]
    assert users == []
    # the top-level synthetic_scenes/ only points to omnigame/synthetic: no code to import
    assert not list((PACKAGE.parent / "synthetic_scenes").rglob("*.py"))


def test_core_imports_with_the_generator_blocked():
    names = [name for _, name in core_modules() if name not in MAY_USE_GENERATOR]
    code = (f"import importlib, sys; sys.modules[{GENERATOR!r}] = None\n"
            f"for n in {names!r}: importlib.import_module(n)\nprint('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]
