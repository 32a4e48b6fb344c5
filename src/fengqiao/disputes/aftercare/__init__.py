"""After the agreement: the 调解协议 and its terms, whether each term is performed, 司法确认
and 公证 of the agreement, and the 回访 follow-up visits, with the reopening or the
return to a penalty procedure that a failed one brings. ``services.py`` holds the rules;
the pages and forms are in ``disputes/records/`` (the case page's record and after-care
panels share one views module there)."""
