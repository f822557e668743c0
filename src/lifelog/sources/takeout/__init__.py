"""Google Takeout parts that no other family reads: Chrome, Keep, My Activity,
YouTube and Location History (``takeout``, ``activity``, ``location``).

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
