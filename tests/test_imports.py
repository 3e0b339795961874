"""Importing omnigame has no side effects on the user's session."""
import subprocess
import sys


def test_import_keeps_the_matplotlib_backend_and_registers_nothing():
    code = ("import matplotlib; matplotlib.use('svg'); import omnigame, omnigame.evaluation.report;"
            "import sys; print(matplotlib.get_backend()); print('hydra' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "svg"
    assert out[1] == "False"  # Hydra stays off the library path: only entry points use it
