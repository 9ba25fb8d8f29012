-- ChatCluster migration 0005: the conversation's message log (W6, R1, R5, S1).
--
-- Messages are appended here by the conversation grain, not kept in its Orleans state: rewriting
-- a state blob that grows with every message gets slower as the conversation grows, while an
-- append stays constant-time. seq is the conversation's own gap-free order, which a reconnecting
-- widget uses to receive what it missed exactly once (W6); client_message_id makes a retried send
-- idempotent (S2: nothing acknowledged is lost or duplicated).
--
-- sender_name and body hold personal data; they are bytes so they can carry AES-256 ciphertext
-- (S1). Retention and erasure delete rows by tenant and conversation (R1, R5).

CREATE TABLE conversation_messages
(
    tenant_id         text        NOT NULL,
    conversation_id   text        NOT NULL,
    seq               bigint      NOT NULL,
    client_message_id text        NOT NULL,
    sender_kind       text        NOT NULL,
    sender_id         text        NOT NULL,
    sender_name       bytea       NULL,
    body              bytea       NOT NULL,
    sent_at           timestamptz NOT NULL,
    CONSTRAINT conversation_messages_pk PRIMARY KEY (tenant_id, conversation_id, seq),
    CONSTRAINT conversation_messages_client_message_uq UNIQUE (tenant_id, conversation_id, client_message_id)
);

-- No separate index for deletion: erasing a conversation (WHERE tenant_id = $1 AND
-- conversation_id = $2) or a closed tenant (WHERE tenant_id = $1) is served by the primary key,
-- whose leading columns are exactly (tenant_id, conversation_id). A second index on the same
-- columns would only make every append slower.
