"""WSGI entry point for gunicorn: `gunicorn services.matching.wsgi:app`."""

from services.matching.app import create_app

app = create_app()
