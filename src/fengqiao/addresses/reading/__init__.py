"""Reading real address text: the national gazetteer and the parser (pure Python, no Django)."""
