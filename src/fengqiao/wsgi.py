import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
application = get_wsgi_application()

# A server process gets ready before its first request rather than during it, which
# would otherwise wait (and every request queued behind it): the URLs and the API they
# import, and the category suggester, trained from its examples (0.3–0.4 s).
import gc  # noqa: E402

from django.urls import reverse  # noqa: E402

from fengqiao.core import pdf_fonts  # noqa: E402
from fengqiao.incidents import classifier  # noqa: E402

reverse("healthz")
classifier.model()
# The PDFs' Chinese font, in the background: the first documents need not wait for it.
pdf_fonts.warm_in_background()

# What is loaded now lives as long as the process and is never garbage: frozen, it is
# left out of every full collection, which would otherwise walk its ~180,000 objects
# (100 ms, a pause for whichever requests are running; 2 ms after).
gc.collect()
gc.freeze()
