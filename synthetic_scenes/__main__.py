"""`python -m synthetic_scenes out_dir=... count=...` (same as omnigame-generate)."""
from .cli import main

main()
