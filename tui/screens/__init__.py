"""The chat's screens: the chat itself, the backend picker and the help screen."""
