"""Render: pure text / HTML / e-mail / Atom rendering of analyses."""
