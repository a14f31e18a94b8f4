-- Maillage registry, SQLite schema. Keep in step with the other backend's
-- migrations: the conformance suite (tests/conformance.rs) runs on both.
-- date_maj is TEXT YYYY-MM-DD, run timestamps TEXT RFC 3339 (sortable).

-- What each source said, keyed by (source_name, id); replaced by each import.
-- `source` is the standard's own field (the producer), not the import source.
CREATE TABLE source_records (
    source_name TEXT NOT NULL CHECK (source_name <> ''),
    id TEXT NOT NULL CHECK (id <> ''),
    pivot TEXT NOT NULL,
    nom TEXT NOT NULL,
    commune TEXT NOT NULL,
    code_postal TEXT NOT NULL,
    code_insee TEXT,
    adresse TEXT NOT NULL,
    complement_adresse TEXT,
    latitude REAL,
    longitude REAL,
    typologie TEXT,
    telephone TEXT,
    courriels TEXT,
    site_web TEXT,
    horaires TEXT,
    presentation_resume TEXT,
    presentation_detail TEXT,
    source TEXT,
    itinerance TEXT,
    structure_parente TEXT,
    date_maj TEXT NOT NULL,
    services TEXT,
    publics_specifiquement_adresses TEXT,
    prise_en_charge_specifique TEXT,
    frais_a_charge TEXT,
    dispositif_programmes_nationaux TEXT,
    formations_labels TEXT,
    autres_formations_labels TEXT,
    modalites_acces TEXT,
    modalites_accompagnement TEXT,
    fiche_acces_libre TEXT,
    prise_rdv TEXT,
    departement TEXT,
    precision_coordonnees TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (source_name, id)
);
CREATE INDEX source_records_departement ON source_records (departement);
CREATE INDEX source_records_code_insee ON source_records (code_insee);

-- The published registry: merged places, rebuilt by consolidation.
CREATE TABLE registry (
    group_id TEXT NOT NULL,
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    pivot TEXT NOT NULL,
    nom TEXT NOT NULL,
    commune TEXT NOT NULL,
    code_postal TEXT NOT NULL,
    code_insee TEXT,
    adresse TEXT NOT NULL,
    complement_adresse TEXT,
    latitude REAL,
    longitude REAL,
    typologie TEXT,
    telephone TEXT,
    courriels TEXT,
    site_web TEXT,
    horaires TEXT,
    presentation_resume TEXT,
    presentation_detail TEXT,
    source TEXT,
    itinerance TEXT,
    structure_parente TEXT,
    date_maj TEXT NOT NULL,
    services TEXT,
    publics_specifiquement_adresses TEXT,
    prise_en_charge_specifique TEXT,
    frais_a_charge TEXT,
    dispositif_programmes_nationaux TEXT,
    formations_labels TEXT,
    autres_formations_labels TEXT,
    modalites_acces TEXT,
    modalites_accompagnement TEXT,
    fiche_acces_libre TEXT,
    prise_rdv TEXT,
    departement TEXT,
    precision_coordonnees TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE INDEX registry_departement ON registry (departement);
CREATE INDEX registry_code_insee ON registry (code_insee);
CREATE INDEX registry_source ON registry (source);
CREATE INDEX registry_coordonnees ON registry (latitude, longitude);
CREATE INDEX registry_nom ON registry (nom);
CREATE INDEX registry_group_id ON registry (group_id);

-- Provenance: the source records each published place came from, in order.
-- A source record belongs to at most one published place.
-- No FOREIGN KEY to registry: replace_registry writes both tables in one
-- transaction, and without it `DELETE FROM registry` is SQLite's fast
-- truncation instead of one child lookup per place.
CREATE TABLE registry_members (
    lieu_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    source_name TEXT NOT NULL,
    source_id TEXT NOT NULL,
    PRIMARY KEY (lieu_id, position),
    UNIQUE (source_name, source_id)
);

-- One row per import run (append-only).
CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_name TEXT NOT NULL CHECK (source_name <> ''),
    at TEXT NOT NULL,
    files TEXT NOT NULL, -- JSON array of file names
    rows_read BIGINT NOT NULL,
    rows_valid BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    added BIGINT NOT NULL,
    changed BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    warnings BIGINT NOT NULL
);
CREATE INDEX import_runs_at ON import_runs (at, id);
CREATE INDEX import_runs_source_at ON import_runs (source_name, at, id);
