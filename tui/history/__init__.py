"""Stored chats: the chat list, search, reopening a stored chat, and the history's errors."""
