"""Tagging articles by country (with region and role) and by security actor, with evidence."""
