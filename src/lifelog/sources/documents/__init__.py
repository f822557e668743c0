"""Documents and books: PDF, EPUB, Word ``.docx`` and OpenDocument ``.odt``.

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
