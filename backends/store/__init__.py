"""Chat history: SQLite store, crash-safe recording of streaming replies, search and export.

``Store`` (db.py) opens the database; ``MessageRecorder`` (recorder.py) writes a reply while it
streams; ``history`` lists, searches, renames, deletes and loads chats; ``export`` renders a chat
as Markdown or JSON. Errors are ``HistoryError`` subclasses (errors.py).
"""
