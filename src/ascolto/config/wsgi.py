"""WSGI entry point (gunicorn ascolto.config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
application = get_wsgi_application()
