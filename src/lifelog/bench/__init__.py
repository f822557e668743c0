"""The benchmarks behind docs/benchmarks*.md, on top of the package beside the CLI.

They drive :class:`lifelog.Memory` and the layers below it; nothing below imports them.

- ``python -m lifelog.bench`` (:mod:`.report`): ingest and search, embedding, retrieval
  and time to first token, written into docs/benchmarks.md (``make bench``).
- ``python -m lifelog.bench.takeout`` (:mod:`.takeout`): a Takeout-like archive ingested
  in a child process, speed and memory (docs/benchmarks-takeout.md).
- ``python -m lifelog.bench.scale_ingest`` (:mod:`.scale_ingest`): ingest on every core
  against a raw FTS5 insert, disk, forgetting and rebuilding at scale
  (docs/benchmarks-scale-ingest.md).
- ``python -m lifelog.bench.words`` (:mod:`.words`): words in every script
  (docs/benchmarks-words.md).
- ``python -m lifelog.bench.embed`` (:mod:`.embed`): the embedding pipeline against the
  model's own throughput.
- ``python -m lifelog.bench.scale`` (:mod:`.scale`): search at 100k and 1M chunks beside
  FTS5, tantivy, LanceDB and chromadb on the same records, of memories built by
  :mod:`.scale_build` (docs/benchmarks-scale-search.md); ``python -m lifelog.bench.ann``
  (:mod:`.ann`): the approximate vector indexes against exact search.
- :mod:`.retrieval`: everything before the LLM, timed; :mod:`.server`: time to first
  streamed token over HTTP against in-process.

This module imports nothing, so that ``python -m lifelog.bench.takeout``'s child process
measures the ingest and not the other benchmarks.
"""
