"""Everything the service produces for people: the weekly digest, info-zone posters, media
notes and the public feed/embeds.

Layout: ``periods`` and ``select`` are pure (plain data in, plain data out); ``data`` reads rows
into those plain values; ``render`` owns the Jinja2 environments; ``weekly``, ``poster``, ``media``,
``feeds``, ``publish`` are thin adapters that write files (atomically) or send mail.
Imports the core and ``archive`` (the link report / catalogue) only.
"""
