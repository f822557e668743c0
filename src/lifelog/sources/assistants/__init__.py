"""AI-assistant conversations: ChatGPT and Claude exports (with the zipped
``conversations.json`` they share) and Claude Code ``.jsonl`` sessions.

Sources are found through the registry in :mod:`lifelog.sources`, never by
importing this package.
"""
