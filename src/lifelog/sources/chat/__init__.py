"""Chats and text messages: WhatsApp, Telegram, Discord, Instagram/Messenger,
Slack, SMS Backup & Restore, Android ``mmssms.db``, iMessage, and LoCoMo
conversation files.

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
