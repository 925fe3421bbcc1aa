"""Every page names the suite's icon, and the icon is served (no 404 in every page load)."""

from __future__ import annotations

import re
from typing import Any


def test_pages_link_an_icon_that_is_served(app: Any, matching_app: Any) -> None:
    for flask_app, login in ((app, "/intake/login"), (matching_app, "/matching/login")):
        client = flask_app.test_client()
        page = client.get(login)
        assert page.status_code == 200
        found = re.search(
            r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', page.get_data(as_text=True)
        )
        assert found, login
        icon = client.get(found.group(1))
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).startswith("<svg")
