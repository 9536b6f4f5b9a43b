"""`bulle serve`: the HTTP API, the trust boundary of the bubble.

The server process alone opens the workspace; people reach it through routes that are thin over
``bulle.services`` (parse, one service call, render the typed result's mapping). Who may call a
route is declared once, in :mod:`bulle.server.permissions`, next to the routes; the actor of every
request is the authenticated principal (:mod:`bulle.server.auth`), never something the request
names. Errors keep the CLI's shape and take their HTTP status from the error class
(:mod:`bulle.server.problems`).
"""
