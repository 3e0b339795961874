"""The quick-start notebook runs top to bottom (tiny settings) and is stored without outputs."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_runs_and_shows_its_figures(monkeypatch):
    monkeypatch.setenv("OMNIGAME_QUICK", "1")  # 2 steps at 32x48
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's own (inline) backend
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    images = [c for c in nb.cells if c.cell_type == "code"
              for out in c.outputs if "image/png" in out.get("data", {})]
    assert len(images) == 3  # frame + masks, layers, the video without object 0
    errors = [out for c in nb.cells for out in c.get("outputs", []) if out.output_type == "error"]
    assert not errors
