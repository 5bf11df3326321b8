"""The local web page (static/index.html) and its JSON API (app.py)."""
