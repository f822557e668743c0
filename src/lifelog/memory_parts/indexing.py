"""The derived indexes of a memory: its embedding model, embedding what has no vector
yet, and rebuilding (:class:`IndexingMixin`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import LifelogError
from .base import MemoryBase

if TYPE_CHECKING:
    from ..index.vectors import EmbedProgress, VectorStatus
    from ..models.embeddings import Embedder

__all__ = ["IndexingMixin"]

#: ``meta`` key set while ``Memory.rebuild_index`` is under way (its vectors dropped)
_REBUILDING = "rebuild_index"


class IndexingMixin(MemoryBase):
    """``Memory``'s embedding model and vector index."""

    def embedder(self, model: str | None = None) -> Embedder | None:
        """The embedding model of this memory (``None`` when embedding is off).

        ``LIFELOG_EMBED_MODEL``, else ``settings["embed"]`` in ``memory.json``, else
        ``static``; see :mod:`lifelog.models.embeddings`. Loaded once per process.
        """
        from ..models.embeddings import get_embedder, resolve_embed_settings

        settings = resolve_embed_settings(self.config.settings.get("embed"), model=model)
        return get_embedder(settings=settings)

    def embed_pending(self, progress: EmbedProgress | None = None, batch: int = 256) -> int:
        """Embed the chunks that have no vector from the current model, ``batch`` at a time;
        return how many were embedded. Resumable: each batch is committed."""
        from ..index.vectors import embed_pending

        embedder = self.embedder()
        if embedder is None:
            return 0
        return embed_pending(self.store, embedder, progress=progress, batch=batch)

    def index_status(self) -> VectorStatus:
        """Chunks, how many carry a vector of the current model, and which model that is."""
        from ..index.vectors import vector_status

        try:
            embedder = self.embedder()
        except LifelogError:
            embedder = None
        return vector_status(self.store, embedder.name if embedder is not None else None)

    def rebuild_index(self, *, lexical: bool = True, progress: EmbedProgress | None = None) -> int:
        """Drop every vector (and, with ``lexical``, rebuild the word index from the store),
        then embed everything again. Returns how many chunks were embedded. Resumable: a
        rebuild interrupted at any point goes on where it stopped when called again (the
        words from the last item indexed, the vectors already made kept)."""
        from ..index.rebuild import rebuild_words, rebuilding_words
        from ..index.vectors import drop_vectors

        if self.store.meta_get(_REBUILDING) is None:
            drop_vectors(self.store)
            self.store.meta_set(_REBUILDING, "1")
        if lexical or rebuilding_words(self.store):
            rebuild_words(self.store, progress)
        embedded = self.embed_pending(progress)
        with self.store.lock, self.store.conn:
            self.store.conn.execute("DELETE FROM meta WHERE key = ?", (_REBUILDING,))
        return embedded
