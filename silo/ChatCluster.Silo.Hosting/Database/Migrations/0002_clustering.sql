-- ChatCluster migration 0002: cluster membership for Microsoft.Orleans.Clustering.AdoNet (C2, C6).
--
-- One row per cluster (deployment) in orleans_membership_version holds the table version that the
-- Orleans membership protocol uses as an optimistic-concurrency token: a silo may insert or update
-- its own row only if nobody changed the table since it last read it, and every successful change
-- bumps the version. One row per silo incarnation (address, port, generation) lives in
-- orleans_membership.

CREATE TABLE orleans_membership_version
(
    deployment_id text        NOT NULL,
    version       integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orleans_membership_version_pk PRIMARY KEY (deployment_id)
);

CREATE TABLE orleans_membership
(
    deployment_id   text        NOT NULL,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,
    proxy_port      integer     NOT NULL,
    suspect_times   text        NULL,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    CONSTRAINT orleans_membership_pk PRIMARY KEY (deployment_id, address, port, generation),
    -- Dropping a cluster's version row takes its silo rows with it.
    CONSTRAINT orleans_membership_version_fk FOREIGN KEY (deployment_id)
        REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE
);

-- Adds a silo row, but only while the cluster's table version is still the one the caller read.
-- Returns false when the version moved on or the silo row already exists.
CREATE FUNCTION orleans_membership_insert(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_silo_name       text,
    p_host_name       text,
    p_status          integer,
    p_proxy_port      integer,
    p_start_time      timestamptz,
    p_i_am_alive_time timestamptz,
    p_expected_version integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    -- Locking the version row serialises membership changes of one cluster.
    PERFORM 1
      FROM orleans_membership_version
     WHERE deployment_id = p_deployment_id
       AND version = p_expected_version
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO orleans_membership
        (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
         start_time, i_am_alive_time)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port,
         p_start_time, p_i_am_alive_time)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans_membership_version
       SET version = version + 1, changed_at = now()
     WHERE deployment_id = p_deployment_id;
    RETURN true;
END;
$fn$;

-- Changes a silo's status, suspicions and liveness, under the same table-version rule.
CREATE FUNCTION orleans_membership_update(
    p_deployment_id    text,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_status           integer,
    p_suspect_times    text,
    p_i_am_alive_time  timestamptz,
    p_expected_version integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
      FROM orleans_membership_version
     WHERE deployment_id = p_deployment_id
       AND version = p_expected_version
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans_membership
       SET status = p_status,
           suspect_times = p_suspect_times,
           i_am_alive_time = p_i_am_alive_time
     WHERE deployment_id = p_deployment_id
       AND address = p_address
       AND port = p_port
       AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans_membership_version
       SET version = version + 1, changed_at = now()
     WHERE deployment_id = p_deployment_id;
    RETURN true;
END;
$fn$;

INSERT INTO orleansquery (querykey, querytext) VALUES
-- Creates the cluster's version row once; answers whether this call created it.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id)
    VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM created) AS "Created"
$q$),

-- The version row always comes back (left join), with the silo's columns when it exists.
('MembershipReadRowKey', $q$
SELECT v.version         AS "Version",
       m.address         AS "Address",
       m.port            AS "Port",
       m.generation      AS "Generation",
       m.silo_name       AS "SiloName",
       m.host_name       AS "HostName",
       m.status          AS "Status",
       m.proxy_port      AS "ProxyPort",
       m.suspect_times   AS "SuspectTimes",
       m.start_time      AS "StartTime",
       m.i_am_alive_time AS "IAmAliveTime"
  FROM orleans_membership_version v
  LEFT JOIN orleans_membership m
         ON m.deployment_id = v.deployment_id
        AND m.address = @Address
        AND m.port = @Port
        AND m.generation = @Generation
 WHERE v.deployment_id = @DeploymentId
$q$),

('MembershipReadAllKey', $q$
SELECT v.version         AS "Version",
       m.address         AS "Address",
       m.port            AS "Port",
       m.generation      AS "Generation",
       m.silo_name       AS "SiloName",
       m.host_name       AS "HostName",
       m.status          AS "Status",
       m.proxy_port      AS "ProxyPort",
       m.suspect_times   AS "SuspectTimes",
       m.start_time      AS "StartTime",
       m.i_am_alive_time AS "IAmAliveTime"
  FROM orleans_membership_version v
  LEFT JOIN orleans_membership m
         ON m.deployment_id = v.deployment_id
 WHERE v.deployment_id = @DeploymentId
$q$),

('InsertMembershipKey', $q$
SELECT orleans_membership_insert(
    @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
    @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS "Inserted"
$q$),

('UpdateMembershipKey', $q$
SELECT orleans_membership_update(
    @DeploymentId, @Address, @Port, @Generation,
    @Status, @SuspectTimes, @IAmAliveTime, @Version) AS "Updated"
$q$),

-- Heartbeats do not change the table version: they are not membership changes.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans_membership
   SET i_am_alive_time = @IAmAliveTime
 WHERE deployment_id = @DeploymentId
   AND address = @Address
   AND port = @Port
   AND generation = @Generation
$q$),

-- Removes the whole cluster; silo rows follow through the cascading foreign key.
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans_membership_version
 WHERE deployment_id = @DeploymentId
$q$),

-- Forgets silos that are Dead (SiloStatus 6) and have not been heard of since the cut-off.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND i_am_alive_time < @IAmAliveTime
   AND status = 6
$q$),

-- Clients ask for silos with the given status (Active) that accept client connections.
('GatewaysQueryKey', $q$
SELECT address    AS "Address",
       proxy_port AS "ProxyPort",
       generation AS "Generation"
  FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND status = @Status
   AND proxy_port > 0
$q$);
