"""Contacts: vCard ``.vcf`` address books (``vcard``), and the e-mail and phone
normalisation that people matching shares.

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
