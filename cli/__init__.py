"""The permanence command line."""
