"""Items: deposits, uploads, the inbox, access to content, notifications, reports."""
