"""Media: subtitle files as transcripts and Kindle highlights.

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
