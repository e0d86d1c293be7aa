"""``python -m model``: the fiscalsim command line."""

from model.cli.main import main

raise SystemExit(main())
