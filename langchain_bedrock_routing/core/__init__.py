"""The shared floor under ``routing``, ``caching`` and the vector store: stream replay of a cached answer,
Redis connections and vector-set commands, and the event-loop deadline they use. No public API of its own."""
