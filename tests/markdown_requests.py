"""The oracle of the answer-neutralising tests: what a Markdown or HTML client would fetch.

``requests_in(text)`` renders ``text`` as CommonMark with raw HTML allowed (what a chat
client such as Open WebUI does), reads the result with the standard HTML parser, and
lists every element that makes the browser send a request (an image, a frame, a
script, a stylesheet …) or can be followed to one (a link). The raw text is read as
HTML too, for a client that shows it unrendered in an HTML view. It is the red team's
own detector (:func:`lifelog.eval.redteam.requests_in`), so the tests and the
measurement judge by the same rule.
"""

from __future__ import annotations

from lifelog.eval.redteam import requests_in

__all__ = ["requests_in"]
