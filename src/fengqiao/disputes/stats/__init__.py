"""矛盾纠纷统计: the figures a bureau is judged on (taken in, closed, resolved, turned
criminal…) by unit, category, source, mediator, track or month, and the monthly
people's-mediation report (人民调解工作统计月报表). ``selectors.py`` computes them within
the user's scope; ``views.py`` and ``urls.py`` are the page, its CSV/.xlsx export and the
report's download."""
