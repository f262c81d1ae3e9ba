"""The in-process llama.cpp backend (llama-cpp-python)."""
