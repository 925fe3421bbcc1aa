"""Allows `python -m services.matching.engine solve ...`."""

import sys

from .cli import main

sys.exit(main())
