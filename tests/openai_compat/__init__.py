"""The Chat Completions path against real servers: OpenAI, DeepSeek, OpenRouter, llama-server, vLLM
and any OpenAI-compatible server (budgets, faults, recorded fixtures, stream properties), the HTTP
transport every remote kind shares, and llama-cpp-python's own server."""
