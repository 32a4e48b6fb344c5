"""调解员与律师值班: the mediator registry with each mediator's declared interests, the
mediation rooms, a room's monthly duty-lawyer rota (``rota.py``: generate, swap,
replace) and the assignment of mediators to a case (ranked proposals with their reasons,
the excluded with theirs). ``services.py`` holds the registry and assignment rules;
``views.py``, ``forms.py`` and ``urls.py`` are their pages and the case page's panel."""
