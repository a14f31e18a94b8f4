-- The whole years of a period read only the year totals of
-- `classements_annee`, whose rows are wide (24 monthly columns, 0015):
-- this covering index lets both backends read those totals from the index
-- alone, a few narrow entries per page instead of a table row each. Keep
-- in step with the other backend's migrations.
DROP INDEX classements_annee_annee;
CREATE INDEX classements_annee_totaux
    ON classements_annee (nature, annee, cle, activites, accompagnements);
