-- ChatCluster migration 0004: durable reminders for Microsoft.Orleans.Reminders.AdoNet (R1, R3, R4).
--
-- Retention expiry is enforced by grain reminders, so these rows must outlive restarts,
-- deployments and silo failures. grain_hash is the grain's uniform hash (a uint32 that Orleans
-- passes as a signed int32); the reminder service reads the rows of its ring range by it.
-- period is in milliseconds; version is the reminder's ETag.

CREATE TABLE orleans_reminders
(
    service_id    text        NOT NULL,
    grain_id      text        NOT NULL,
    reminder_name text        NOT NULL,
    start_time    timestamptz NOT NULL,
    period        bigint      NOT NULL,
    grain_hash    integer     NOT NULL,
    version       integer     NOT NULL,
    CONSTRAINT orleans_reminders_pk PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX orleans_reminders_ring_ix ON orleans_reminders (service_id, grain_hash);

INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadReminderRowsKey', $q$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId
   AND grain_id = @GrainId
$q$),

('ReadReminderRowKey', $q$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId
   AND grain_id = @GrainId
   AND reminder_name = @ReminderName
$q$),

-- Ring range (BeginHash, EndHash] that does not wrap (the provider picks this when Begin < End,
-- compared as signed integers, which is how the hashes are stored).
('ReadRangeRows1Key', $q$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId
   AND grain_hash > @BeginHash
   AND grain_hash <= @EndHash
$q$),

-- Ring range that wraps around the end of the hash space (or covers all of it).
('ReadRangeRows2Key', $q$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId
   AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$q$),

-- Registering an existing reminder again replaces its schedule and bumps its ETag.
('UpsertReminderRowKey', $q$
INSERT INTO orleans_reminders
    (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
   SET start_time = excluded.start_time,
       period     = excluded.period,
       grain_hash = excluded.grain_hash,
       version    = orleans_reminders.version + 1
RETURNING version AS "Version"
$q$),

-- Deletes only the version the caller knows; answers whether a row went away.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleans_reminders
     WHERE service_id = @ServiceId
       AND grain_id = @GrainId
       AND reminder_name = @ReminderName
       AND version = @Version
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM deleted) AS "Deleted"
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleans_reminders
 WHERE service_id = @ServiceId
$q$);
