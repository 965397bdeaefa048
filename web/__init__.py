"""Starlette application, routes, templates and the browser module."""
