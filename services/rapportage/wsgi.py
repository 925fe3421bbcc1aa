"""WSGI entry point for gunicorn: `gunicorn services.rapportage.wsgi:app`."""

from services.rapportage.app import create_app

app = create_app()
