# Materials foundation models: tokenizers, pretraining and embeddings.
