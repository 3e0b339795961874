"""The shape of the repository: conf/ stays at the top level and ships inside the package as
omnigame/conf; the README's layout section lists what is there; each subpackage says what it holds."""
import ast
import configparser
import fnmatch
import re
from pathlib import Path

import pytest

from omnigame.conf import CONF_DIR

ROOT = Path(__file__).resolve().parents[1]


def test_every_config_file_is_package_data():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in setup["options.package_data"]["omnigame"].split(",")]
    yamls = [p.relative_to(ROOT).as_posix() for p in (ROOT / "conf").rglob("*.yaml")]
    assert "conf/hydra/launcher/slurm.yaml" in yamls
    missing = [y for y in yamls if not any(fnmatch.fnmatch(y, p) and y.count("/") == p.count("/")
                                           for p in patterns)]
    assert missing == []


def test_the_package_reaches_the_top_level_conf():
    assert Path(CONF_DIR, "decompose.yaml").is_file()
    assert (ROOT / "omnigame" / "conf").resolve() == (ROOT / "conf").resolve()


def layout() -> dict:
    """{path: description} of the README's "Repository layout" block (names at indent 0 or 2;
    deeper-indented lines continue a description)."""
    block = (ROOT / "README.md").read_text().split("## Repository layout", 1)[1].split("```")[1]
    entries, parent = {}, ROOT
    for line in block.splitlines():
        found = re.match(r"( *)(\S+)\s{2,}(\S.*)", line)
        if found is None or len(found[1]) > 2:
            continue
        path = (ROOT if not found[1] else parent) / found[2].rstrip("/")
        parent = path if not found[1] else parent
        entries[path] = found[3]
    return entries


def test_readme_layout_lists_what_is_there():
    entries = layout()
    assert [p for p in entries if not p.exists()] == []
    package = ROOT / "omnigame"
    members = [p for p in package.iterdir() if (p / "__init__.py").exists()]
    members += [p for p in package.glob("*.py") if p.name != "__init__.py"]
    ignored = [line.strip().strip("/") for line in (ROOT / ".gitignore").read_text().splitlines()
               if line.strip().endswith("/")]  # outputs/, .venv/, *.egg-info/, ...
    top = [p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")
           and not any(fnmatch.fnmatch(p.name, pattern) for pattern in ignored)]
    assert sorted(p.name for p in members + top if p not in entries) == []


@pytest.mark.parametrize("package", sorted(p.name for p in (ROOT / "omnigame").iterdir()
                                           if (p / "__init__.py").exists()))
def test_each_subpackage_docstring_names_its_modules(package):
    folder = ROOT / "omnigame" / package
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
    modules = [p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__")]
    assert doc and [m for m in modules if not re.search(rf"\b{m}\b", doc)] == []
