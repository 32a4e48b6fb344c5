import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
application = get_wsgi_application()

# A server process gets ready before its first request rather than during it, which
# would otherwise wait (and every request queued behind it): the URLs and the API they
# import, and the category suggester, trained from its examples (0.3–0.4 s).
from django.urls import reverse  # noqa: E402

from fengqiao.incidents import classifier  # noqa: E402

reverse("healthz")
classifier.model()
