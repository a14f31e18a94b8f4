-- The top 50 communes and lieux of a large scope read the records of the
-- days its period cuts out of whole months (roll-ups cover the rest, see
-- 0012). For the nation that is up to two months of records: these
-- partial, covering indexes let both backends read them from the index in
-- date order, without one table lookup per record. Keep in step with the
-- other backend's migrations.
CREATE INDEX activites_classement_commune
    ON activites (date, code_insee, departement, accompagnements)
    WHERE supprime_le IS NULL AND code_insee IS NOT NULL;
CREATE INDEX activites_classement_lieu
    ON activites (date, lieu_id, departement, accompagnements)
    WHERE supprime_le IS NULL AND lieu_id IS NOT NULL;
