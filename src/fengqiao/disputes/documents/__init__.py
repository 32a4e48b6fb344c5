"""调解文书: the printable A4 PDFs of a case — the agreement (人民调解 or 治安调解), the
mediation application, the joint application for judicial confirmation and the record of
a follow-up visit. ``services.py`` says which documents a case can have yet, builds them
and audits each print; ``views.py`` and ``urls.py`` are the downloads and the case page's
documents panel."""
