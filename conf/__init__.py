"""Hydra configuration files of omnigame: the repository's top-level conf/, reached as the
package omnigame.conf (a link in a checkout, a copy in an installed wheel).

CONF_DIR is the one way every entry point and test finds these files."""
from pathlib import Path

CONF_DIR = str(Path(__file__).resolve().parent)
