"""Model plumbing every stage builds on: local GGUF (llama.cpp), OpenAI-compatible endpoints,
Hugging Face loading, the chat backend, embedded model files and their identity, one embedder."""
