"""Dutch first, English available: locale choice and translation of validation messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _

LOCALES = ("nl", "en")
LANG_COOKIE = "instap_lang"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

# marshmallow's default messages, said in plain Dutch (B1) for people filling in forms.
_MARSHMALLOW_NL = {
    "Missing data for required field.": "Vul dit veld in.",
    "Field may not be null.": "Vul dit veld in.",
    "Unknown field.": "Dit veld bestaat niet.",
    "Not a valid integer.": "Vul een heel getal in.",
    "Not a valid number.": "Vul een getal in.",
    "Not a valid string.": "Vul tekst in.",
    "Not a valid boolean.": "Kies ja of nee.",
    "Not a valid date.": "Vul een geldige datum in (jjjj-mm-dd).",
    "Not a valid datetime.": "Vul een geldige datum en tijd in.",
    "Not a valid email address.": "Vul een geldig e-mailadres in.",
    "Not a valid list.": "Geef een lijst.",
    "Invalid input type.": "Deze invoer heeft de verkeerde vorm.",
    "Invalid value.": "Deze waarde is niet geldig.",
    "Not a valid mapping type.": "Geef een object.",
    "Invalid input.": "Deze invoer is niet geldig.",
    # werkzeug's own texts for a path or method that does not exist (pages are Dutch first).
    "The requested URL was not found on the server. If you entered the URL manually please check "
    "your spelling and try again.": "Deze pagina bestaat niet (of niet meer). Controleer het adres, "
    "of kies hieronder waar u heen wilt.",
    "The method is not allowed for the requested URL.": "Dit kan op deze pagina niet.",
}


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return chosen
    return "nl"


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "nl")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    Babel(app, locale_selector=select_locale)

    @app.after_request
    def _remember_language(response):  # type: ignore[no-untyped-def]
        chosen = request.args.get("lang")
        if chosen in LOCALES:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", path="/")
        return response

    @app.context_processor
    def _locale_vars() -> dict[str, Any]:
        return {"current_locale": str(get_locale() or "nl"), "lang_url": lang_url}


def lang_url(code: str) -> str:
    """This page in another language, keeping its query (filters, page)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.script_root + request.path + "?" + urlencode(args, doseq=True)


def translate_message(message: str) -> str:
    """A validation message in the request's language (messages are written in Dutch)."""
    dutch = _MARSHMALLOW_NL.get(message, message)
    if dutch.startswith("Must be one of:"):
        dutch = "Kies een van de mogelijke waarden."
    return _(dutch)


def translate_errors(errors: Any) -> Any:
    """Translate a marshmallow error structure (dict / list / str) message by message."""
    if isinstance(errors, dict):
        return {k: translate_errors(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [translate_errors(v) for v in errors]
    if isinstance(errors, str):
        return translate_message(errors)
    return errors
