"""The parts :class:`~lifelog.memory.Memory` is made of, one concern each, as mixin
classes it inherits from (``lifelog.memory`` keeps opening a memory, ingesting,
searching and asking):

- :mod:`.base`: what the parts share (the attributes ``Memory.__init__`` sets);
- :mod:`.browsing`: reading without a question: timeline, threads, counts, facets,
  statistics and the import journal;
- :mod:`.indexing`: the derived indexes: the embedding model, embedding, rebuilding;
- :mod:`.forgetting`: removing items for good, and what they leave behind;
- :mod:`.upkeep`: checks, repair, backups and keys;
- :mod:`.people`: the people directory.

Only ``lifelog.memory`` imports them; the floors below import none of them.
"""
