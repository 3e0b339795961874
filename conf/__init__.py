"""Hydra configuration files of omnigame (installed as the package omnigame.conf)."""
