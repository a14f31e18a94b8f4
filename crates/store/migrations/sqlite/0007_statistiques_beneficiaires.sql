-- Beneficiaries of each record by genre, tranche d'âge and statut social
-- (§1.4), counted by `maillage_activites::repartition_beneficiaires` when
-- the record is written, so the statistics add up columns instead of
-- reading the JSON of every record. Column order follows the enumerations'
-- (`Genre::ALL`, `TrancheAge::ALL`, `StatutSocial::ALL`). Keep in step with
-- the other backend's migrations.
ALTER TABLE activites ADD COLUMN genre_masculin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN genre_feminin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN genre_non_communique INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN tranche_age_moins_de_douze INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN tranche_age_douze_dix_huit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN tranche_age_dix_huit_vingt_quatre INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN tranche_age_vingt_cinq_trente_neuf INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN tranche_age_quarante_cinquante_neuf INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN tranche_age_soixante_soixante_neuf INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN tranche_age_soixante_dix_plus INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN tranche_age_non_communique INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN statut_social_retraite INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN statut_social_sans_emploi INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN statut_social_en_emploi INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN statut_social_scolarise INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activites ADD COLUMN statut_social_non_communique INTEGER NOT NULL DEFAULT 0;
-- Records written before this migration: their beneficiaries count as
-- "non communiqué" (saving a record again counts them from its content).
UPDATE activites SET genre_non_communique = accompagnements,
    tranche_age_non_communique = accompagnements,
    statut_social_non_communique = accompagnements;
-- No new index: every scope of the statistics and of the pilotage table
-- (mediator or team members with their dates, structure, départements,
-- communes, lieu, nation over a period) has its partial index from 0004.
