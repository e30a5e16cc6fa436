"""Delivering the outbox: claim due rows, decide each again, render, send, record (see loop.py).

Workers keep nothing another process would need: start as many as the database and the mail
server can take, on as many machines as you like (PostgreSQL); kill any of them at any moment.
"""
