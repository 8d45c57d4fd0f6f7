-- The indexes Bluecherry 3.1.13 adds for its cleaner (its upgrade step
-- 3010500, add-cleanup-indexes.sh), for tests: recsync must keep the query
-- plans it was designed for when they exist. Written here from the list of
-- indexes, not copied from Bluecherry's script.
--
--   idx_media_cleanup      Media (archive, start)   oldest active rows first
--   idx_media_filepath     Media (filepath)         "which row is this file?"
--   idx_eventscam_media_id EventsCam (media_id)     events of a recording
--   idx_media_archive      Media (archive)
--   idx_media_start        Media (start)
--   idx_storage_priority   Storage (priority)
--
-- idx_media_filepath names the whole varchar(1024). That fits InnoDB's
-- 3072-byte key limit in latin1 (1024 bytes) and utf8mb3 (3 bytes a
-- character: 3072), the character set of Bluecherry's published schema, but
-- not in utf8mb4 (4096 bytes): there MariaDB makes it an index on the first
-- 768 characters, with note 1071, even in strict mode (MySQL 8 refuses it,
-- error 1071, and Bluecherry's script, which stops at its first error, then
-- leaves the indexes after it uncreated). Equality lookups use the prefix
-- index all the same.
--
-- IF NOT EXISTS, as in Bluecherry's step: a database that already has an
-- index of that name (bluecherry-filepath-index.sql) keeps it.

CREATE INDEX IF NOT EXISTS idx_media_cleanup ON Media (archive, start);
CREATE INDEX IF NOT EXISTS idx_media_filepath ON Media (filepath);
CREATE INDEX IF NOT EXISTS idx_eventscam_media_id ON EventsCam (media_id);
CREATE INDEX IF NOT EXISTS idx_media_archive ON Media (archive);
CREATE INDEX IF NOT EXISTS idx_media_start ON Media (start);
CREATE INDEX IF NOT EXISTS idx_storage_priority ON Storage (priority);
