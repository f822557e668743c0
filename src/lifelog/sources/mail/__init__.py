"""Mail: Maildir, mbox and single .eml messages (``email``), with their envelope
(``mbox``), MIME (``mime``), text decoding (``text``) and item building (``item``).

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
