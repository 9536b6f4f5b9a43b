"""The `bulle` command line: a thin layer that parses, calls a service and renders."""
