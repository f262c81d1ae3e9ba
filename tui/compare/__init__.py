"""Compare: one prompt, several backends side by side, and promoting a column into the chat."""
