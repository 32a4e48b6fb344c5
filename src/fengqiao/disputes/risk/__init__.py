"""民转刑 early warning: an explained escalation-risk score (0–100) for every open case,
one line of evidence per signal, recomputed nightly and on demand, with notices to the
units concerned. ``services.py`` scores, stores and reads; ``views.py`` and ``urls.py``
are the warning list, the notices and the case page's risk panel; ``labelled.py`` is the
synthetic labelled set the score is measured against (tests and bench/)."""
