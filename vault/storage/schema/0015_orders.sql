-- The state of order forms (bons de commande, docs/items.md "Orders"): ordered → approved →
-- delivered. What an order says (supplier, lines, prices, delivery address and date) is
-- never here: it is the body of the item, sealed to the practice key. This table holds
-- only the state, who changed it and when, changed by the use cases of vault/orders/
-- (each one audited).
CREATE TABLE order_status (
    item_id      TEXT PRIMARY KEY REFERENCES item (id),
    practice_id  TEXT NOT NULL REFERENCES practice (id),
    status       TEXT NOT NULL CHECK (status IN ('ordered', 'approved', 'delivered')),
    ordered_by   TEXT NOT NULL REFERENCES account (id),
    ordered_at   TEXT NOT NULL,
    approved_by  TEXT REFERENCES account (id),
    approved_at  TEXT,
    delivered_by TEXT REFERENCES account (id),
    delivered_at TEXT,
    CHECK ((status = 'ordered') = (approved_by IS NULL)),
    CHECK ((approved_by IS NULL) = (approved_at IS NULL)),
    CHECK ((status = 'delivered') = (delivered_by IS NOT NULL)),
    CHECK ((delivered_by IS NULL) = (delivered_at IS NULL))
) STRICT;
CREATE INDEX order_by_practice ON order_status (practice_id, ordered_at DESC, item_id DESC);
