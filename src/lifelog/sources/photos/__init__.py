"""Photos: JPEG/TIFF/PNG/WebP/HEIF metadata (``photos``), from EXIF (``exif``)
and HEIF boxes (``heif``).

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
