"""Model backends: embeddings and language models, one module each."""
