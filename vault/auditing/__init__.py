"""Auditing: the auditor's console, statistics, export, alerts, verification, checkpoints."""
