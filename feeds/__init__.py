"""The feed reader: fetch (``ecitizen.fetch``), parse (RSS/Atom/JSON Feed), poll due sources,
OPML import/export. Imports the core (``ecitizen``); the core never imports this package.
"""
