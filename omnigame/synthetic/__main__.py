"""`python -m omnigame.synthetic out_dir=... count=...` (same as omnigame-generate)."""
from .cli import main

main()
