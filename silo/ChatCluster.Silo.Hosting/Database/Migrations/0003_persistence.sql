-- ChatCluster migration 0003: grain state for Microsoft.Orleans.Persistence.AdoNet (C2, R1, R5).
--
-- One row per (service, grain type, grain id). The provider identifies a grain by
--   GrainIdN0, GrainIdN1        - the two halves of a Guid key, or 0 and the integer key,
--   GrainIdExtensionString      - the string key, or the key extension (NULL when there is none),
--   GrainTypeString             - the grain type name, and
--   GrainIdHash, GrainTypeHash  - 32-bit hashes of the id and type, used here only to keep the
--                                 index narrow and selective.
-- version is the ETag Orleans hands back on the next write (optimistic concurrency).
--
-- Privacy: state may hold personal data. Clearing a grain's state deletes its row; nothing of the
-- old payload is kept (R1 retention purge, R5 erasure).

CREATE TABLE orleans_storage
(
    service_id         text        NOT NULL,
    grain_type_hash    integer     NOT NULL,
    grain_type         text        NOT NULL,
    grain_id_hash      integer     NOT NULL,
    grain_id_n0        bigint      NOT NULL,
    grain_id_n1        bigint      NOT NULL,
    grain_id_extension text        NULL,
    version            integer     NOT NULL,
    payload            bytea       NOT NULL,
    written_at         timestamptz NOT NULL DEFAULT now(),
    -- NULLS NOT DISTINCT: a grain without key extension still has exactly one row.
    CONSTRAINT orleans_storage_grain_uq UNIQUE NULLS NOT DISTINCT
        (grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension)
);

-- Writes a grain's state if the caller's ETag (p_expected_version) is still current.
-- Returns the new version, or NULL when another writer got there first (Orleans then raises
-- InconsistentStateException).
--   * expected NULL: the caller believes there is no row; insert version 1.
--   * expected N and the row is at N: replace the payload, version N + 1.
--   * expected N and there is no row: the state was cleared (rows are deleted on clear), so start
--     the row again at N + 1, continuing the sequence the caller already knows.
CREATE FUNCTION orleans_storage_write(
    p_service_id         text,
    p_grain_type_hash    integer,
    p_grain_type         text,
    p_grain_id_hash      integer,
    p_grain_id_n0        bigint,
    p_grain_id_n1        bigint,
    p_grain_id_extension text,
    p_expected_version   integer,
    p_payload            bytea)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new_version integer;
BEGIN
    IF p_expected_version IS NOT NULL THEN
        UPDATE orleans_storage
           SET payload = p_payload,
               version = version + 1,
               written_at = now()
         WHERE grain_id_hash = p_grain_id_hash
           AND grain_type_hash = p_grain_type_hash
           AND service_id = p_service_id
           AND grain_type = p_grain_type
           AND grain_id_n0 = p_grain_id_n0
           AND grain_id_n1 = p_grain_id_n1
           AND grain_id_extension IS NOT DISTINCT FROM p_grain_id_extension
           AND version = p_expected_version
        RETURNING version INTO v_new_version;
        IF FOUND THEN
            RETURN v_new_version;
        END IF;
    END IF;

    -- No matching row: either a first write or a write after clear. If a row exists after all,
    -- its version differs from the caller's, and the unique constraint turns this into a no-op.
    INSERT INTO orleans_storage
        (service_id, grain_type_hash, grain_type, grain_id_hash, grain_id_n0, grain_id_n1,
         grain_id_extension, version, payload)
    VALUES
        (p_service_id, p_grain_type_hash, p_grain_type, p_grain_id_hash, p_grain_id_n0, p_grain_id_n1,
         p_grain_id_extension, coalesce(p_expected_version, 0) + 1, p_payload)
    ON CONFLICT DO NOTHING
    RETURNING version INTO v_new_version;

    RETURN v_new_version;
END;
$fn$;

-- Deletes a grain's row if the caller's ETag is still current.
-- Returns a version different from the caller's on success (Orleans treats an unchanged or
-- missing version as a conflict), NULL when the row has moved on to another version.
-- Clearing a grain whose row is already gone succeeds: the outcome the caller wants holds.
CREATE FUNCTION orleans_storage_clear(
    p_service_id         text,
    p_grain_type_hash    integer,
    p_grain_type         text,
    p_grain_id_hash      integer,
    p_grain_id_n0        bigint,
    p_grain_id_n1        bigint,
    p_grain_id_extension text,
    p_expected_version   integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_current_version integer;
BEGIN
    SELECT version INTO v_current_version
      FROM orleans_storage
     WHERE grain_id_hash = p_grain_id_hash
       AND grain_type_hash = p_grain_type_hash
       AND service_id = p_service_id
       AND grain_type = p_grain_type
       AND grain_id_n0 = p_grain_id_n0
       AND grain_id_n1 = p_grain_id_n1
       AND grain_id_extension IS NOT DISTINCT FROM p_grain_id_extension
       FOR UPDATE;

    IF NOT FOUND THEN
        RETURN coalesce(p_expected_version, 0) + 1;
    END IF;

    IF v_current_version IS DISTINCT FROM p_expected_version THEN
        RETURN NULL;
    END IF;

    DELETE FROM orleans_storage
     WHERE grain_id_hash = p_grain_id_hash
       AND grain_type_hash = p_grain_type_hash
       AND service_id = p_service_id
       AND grain_type = p_grain_type
       AND grain_id_n0 = p_grain_id_n0
       AND grain_id_n1 = p_grain_id_n1
       AND grain_id_extension IS NOT DISTINCT FROM p_grain_id_extension;

    RETURN v_current_version + 1;
END;
$fn$;

INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', $q$
SELECT payload AS "PayloadBinary",
       version AS "Version"
  FROM orleans_storage
 WHERE grain_id_hash = @GrainIdHash
   AND grain_type_hash = @GrainTypeHash
   AND service_id = @ServiceId
   AND grain_type = @GrainTypeString
   AND grain_id_n0 = @GrainIdN0
   AND grain_id_n1 = @GrainIdN1
   AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
$q$),

('WriteToStorageKey', $q$
SELECT orleans_storage_write(
    @ServiceId, @GrainTypeHash, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1,
    @GrainIdExtensionString, @GrainStateVersion, @PayloadBinary) AS "NewGrainStateVersion"
$q$),

-- ChatCluster decision: clearing state deletes the row (personal data is deletable row for row).
('ClearStorageKey', $q$
SELECT orleans_storage_clear(
    @ServiceId, @GrainTypeHash, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1,
    @GrainIdExtensionString, @GrainStateVersion) AS "Version"
$q$),

-- Used instead of ClearStorageKey when AdoNetGrainStorageOptions.DeleteStateOnClear is true;
-- the effect is the same, only Orleans resets the grain's ETag afterwards.
('DeleteStorageKey', $q$
SELECT orleans_storage_clear(
    @ServiceId, @GrainTypeHash, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1,
    @GrainIdExtensionString, @GrainStateVersion) AS "Version"
$q$);
