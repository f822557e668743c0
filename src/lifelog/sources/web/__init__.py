"""The web: browser history and bookmarks (Chrome, Firefox, Safari) and saved
HTML pages.

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
