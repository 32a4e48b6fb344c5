"""受理 and the case page: quick intake with the parties' earlier disputes and calls, the
case list with its clocks, the case page that shows every part's panel, the workflow's
steps (accept on a track, extend, consent, transition) and screening rounds.
Pages and forms only: what they write and read is the app's own ``services.py`` and
``selectors.py``, which every part of ``disputes`` shares."""
