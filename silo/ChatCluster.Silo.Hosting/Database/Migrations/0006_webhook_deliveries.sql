-- ChatCluster migration 0006: the webhook delivery queue (I2, R1, R5, S1).
--
-- A delivery is written here before it is sent and deleted once the receiver accepted it, the retry time ran
-- out, or its endpoint went; so a silo restart loses none. The tenant's webhooks grain is the only writer of its
-- rows and reads them back when it activates. body is the exact JSON that is signed and posted; it may hold
-- personal data (only for endpoints whose tenant enabled it), so it is AES-256 ciphertext (S1), and it lives at
-- most ChatCluster:Webhooks:GiveUpAfter (at most 3 days). Erasure deletes a visitor's rows (R5), account
-- closure the tenant's (R3).

CREATE TABLE webhook_deliveries
(
    tenant_id       text        NOT NULL,
    delivery_id     text        NOT NULL,
    webhook_id      text        NOT NULL,
    event_id        text        NOT NULL,
    event_type      text        NOT NULL,
    visitor_id      text        NULL,
    body            bytea       NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    CONSTRAINT webhook_deliveries_pk PRIMARY KEY (tenant_id, delivery_id)
);
