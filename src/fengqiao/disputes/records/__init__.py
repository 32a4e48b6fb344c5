"""调解记录: the sittings of a mediation, the evidence the parties bring (attachments,
judged by their content) and hand-offs to other bodies (refer, accept, reject).
``services.py`` writes and reads them; ``views.py``, ``forms.py`` and ``urls.py`` are the
case page's record panel and, until they are split, the after-care panel's pages and
forms too (the rules behind those are in ``disputes/aftercare/``)."""
