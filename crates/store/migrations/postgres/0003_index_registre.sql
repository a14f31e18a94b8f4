-- The registry is read by id, by département and by commune (exports, the
-- web catalogue), the source records by source and by département: the
-- other indexes served no query and cost every import and consolidation
-- a million random insertions or a rebuild.
DROP INDEX IF EXISTS registry_source;
DROP INDEX IF EXISTS registry_coordonnees;
DROP INDEX IF EXISTS registry_nom;
DROP INDEX IF EXISTS registry_group_id;
DROP INDEX IF EXISTS source_records_code_insee;
