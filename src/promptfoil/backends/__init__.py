"""Model plumbing every stage shares: local GGUF (llama.cpp), OpenAI-compatible endpoints,
Hugging Face loading, the embedded-model locator, and one sentence embedder."""
