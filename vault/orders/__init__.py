"""Order forms: their state ordered → approved → delivered (docs/items.md "Orders")."""
