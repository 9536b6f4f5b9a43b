"""The routes, one module per area; each route takes :func:`bulle.server.context.authorize`."""
