"""Notes: Markdown and plain-text files (Obsidian vaults included) and Org files.

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
