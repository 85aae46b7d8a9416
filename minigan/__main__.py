"""``python -m minigan``: the same command as ``minigan``."""
from minigan.cli import main

raise SystemExit(main())
