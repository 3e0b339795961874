"""conf/ stays at the top level and ships inside the package as omnigame/conf."""
import configparser
import fnmatch
from pathlib import Path

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
