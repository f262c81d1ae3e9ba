"""The chat: its screen and the modal screens it opens (backend picker, help, system prompt),
the conversation it keeps, the reply controller and the services it is given.
"""
