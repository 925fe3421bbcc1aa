"""`python -m services.rapportage.disclosure DOC.json ...`: the auditor on published documents."""

from .audit import main

raise SystemExit(main())
