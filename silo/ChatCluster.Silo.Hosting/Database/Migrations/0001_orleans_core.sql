-- ChatCluster migration 0001: the lookup table the Orleans AdoNet providers read their SQL from.
--
-- Every Orleans AdoNet provider starts by running, unquoted,
--     SELECT QueryKey, QueryText FROM OrleansQuery
-- PostgreSQL folds unquoted identifiers to lower case, so the table and its columns are
-- created in lower case here. The providers find the columns again by name (Npgsql matches
-- column names case-insensitively when the exact spelling is not present).
--
-- Each later migration adds the rows (query key -> SQL text) its provider needs. The SQL texts
-- use Npgsql named parameters (@Name) with the parameter names the providers bind.

CREATE TABLE orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,
    CONSTRAINT orleansquery_pk PRIMARY KEY (querykey)
);

COMMENT ON TABLE orleansquery IS
    'Query key -> SQL text used by Microsoft.Orleans.*.AdoNet (invariant Npgsql). Owned by ChatCluster migrations.';
