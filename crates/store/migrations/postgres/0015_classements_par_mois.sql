-- The top 50 communes and lieux of a long period read one row per key and
-- year: the year's totals for its whole years, the sum of a few monthly
-- columns (`a1`..`a12` records, `p1`..`p12` accompaniments) for its whole
-- months, and the records of its edge days. One row per key and month
-- (`classements_mois`) made a national period read a row per lieu and
-- month, nearly as many rows as records. Keep in step with the other
-- backend's migrations; the store rebuilds the roll-ups at connection.
DROP TABLE classements_mois;
DELETE FROM classements_annee;
ALTER TABLE classements_annee ADD COLUMN a1 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a2 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a3 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a4 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a5 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a6 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a7 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a8 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a9 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a10 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a11 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN a12 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p1 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p2 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p3 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p4 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p5 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p6 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p7 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p8 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p9 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p10 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p11 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE classements_annee ADD COLUMN p12 BIGINT NOT NULL DEFAULT 0;
UPDATE agregats_etat SET a_reconstruire = 1;
