"""The link archive: a curated catalogue of e-government links, checked fast and politely.

Layout (pure core, thin adapters):

* ``status``    — the statuses and their Russian explanations (data only)
* ``decide``    — pure decisions: ``classify_check``, ``next_state``, soft-404 and change rules
* ``textdiff``  — pure text normalisation, change share and readable diffs
* ``probe``     — the HTTP adapter (aiohttp): per-host politeness, HEAD/GET, retries
* ``checker``   — ``check_links``: reads due links, runs the probes, writes results
* ``catalogue`` — add/remove/list/import/export and the public catalogue page
* ``snapshot``  — saved copies (raw HTML, main text, metadata, optional WARC)
* ``report``    — ``link_report`` for the digest and the web interface
* ``cli``       — ``ecitizen links ...``
"""
