"""``python -m model``: the fiscalsim command line."""

from model.cli import main

raise SystemExit(main())
