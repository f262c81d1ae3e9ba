"""One test module per provider adapter with its own API (Anthropic, Gemini, Ollama, OpenAI
Responses), the fault table run against all four end to end, and their recordings replayed."""
