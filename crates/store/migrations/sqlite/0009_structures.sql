-- Employer structures, mediators' employment and places of activity (La
-- Coop's `EmployeStructure` and `MediateurEnActivite`). Keep in step with
-- the other backend's migrations. Dates are TEXT YYYY-MM-DD and timestamps
-- TEXT RFC 3339, as in 0001.
--
-- A structure's identifier is its SIRET (14 digits, key checked by the
-- store); `commune` is the INSEE code, checked against the referential by
-- the web layer.
CREATE TABLE structures (
    siret TEXT NOT NULL PRIMARY KEY CHECK (length(siret) = 14),
    nom TEXT NOT NULL CHECK (nom <> ''),
    commune TEXT NOT NULL CHECK (commune <> ''),
    adresse TEXT,
    cree_le TEXT NOT NULL
);

-- Employment: `debut` inclusive, `fin` exclusive (NULL: current). One row
-- per period; at most one open per (user, structure).
CREATE TABLE emplois (
    utilisateur_id TEXT NOT NULL REFERENCES utilisateurs (id) ON DELETE CASCADE,
    siret TEXT NOT NULL REFERENCES structures (siret),
    debut TEXT NOT NULL,
    fin TEXT,
    PRIMARY KEY (utilisateur_id, siret, debut),
    CHECK (fin IS NULL OR fin >= debut)
);
CREATE UNIQUE INDEX emplois_ouverts ON emplois (utilisateur_id, siret) WHERE fin IS NULL;
CREATE INDEX emplois_structure ON emplois (siret);

-- Places of activity: a published place's id. No foreign key to the
-- registry: it is rebuilt by each consolidation and a place may leave it,
-- while the mediator's history must stay.
CREATE TABLE lieux_activite (
    utilisateur_id TEXT NOT NULL REFERENCES utilisateurs (id) ON DELETE CASCADE,
    lieu_id TEXT NOT NULL CHECK (lieu_id <> ''),
    debut TEXT NOT NULL,
    fin TEXT,
    PRIMARY KEY (utilisateur_id, lieu_id, debut),
    CHECK (fin IS NULL OR fin >= debut)
);
CREATE UNIQUE INDEX lieux_activite_ouverts ON lieux_activite (utilisateur_id, lieu_id) WHERE fin IS NULL;
