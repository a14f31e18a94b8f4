-- Mediators' activity records (comptes-rendus d'activité, crate
-- maillage-activites) and the audit journal. Keep in step with the other
-- backend's migrations. Text keys use COLLATE "C" (same order as SQLite).
--
-- One row per validated record. The columns statistics need are copied out
-- of the record so they can be counted in SQL; `donnees` keeps the whole
-- record (the `ActiviteSaisie` JSON) and is what is read back.
-- `thematiques` / `materiel`: bit i set = `Thematique::ALL[i]` /
-- `Materiel::ALL[i]` (append-only enumerations: never reorder them).
-- Deleted records stay (soft delete, for the journal and for La Coop's
-- exports) with `supprime_le` set.
CREATE TABLE activites (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (id <> ''),
    mediateur_id TEXT COLLATE "C" NOT NULL CHECK (mediateur_id <> ''),
    structure_id TEXT COLLATE "C",
    date DATE NOT NULL,
    type_activite TEXT NOT NULL,
    duree_minutes INTEGER NOT NULL CHECK (duree_minutes > 0),
    type_lieu TEXT NOT NULL,
    lieu_id TEXT COLLATE "C",
    code_insee TEXT,
    departement TEXT,
    thematiques BIGINT NOT NULL,
    materiel INTEGER NOT NULL,
    accompagnements INTEGER NOT NULL CHECK (accompagnements >= 0),
    donnees TEXT NOT NULL,
    cree_le TIMESTAMPTZ NOT NULL,
    modifie_le TIMESTAMPTZ NOT NULL,
    supprime_le TIMESTAMPTZ,
    supprime_par TEXT
);
-- Partial indexes: every read (listing, statistics) excludes deleted
-- records, so they need not be indexed; a query must spell out
-- `supprime_le IS NULL` for SQLite and PostgreSQL to use these.
CREATE INDEX activites_mediateur_date ON activites (mediateur_id, date) WHERE supprime_le IS NULL;
CREATE INDEX activites_structure_date ON activites (structure_id, date) WHERE supprime_le IS NULL;
CREATE INDEX activites_departement_date ON activites (departement, date) WHERE supprime_le IS NULL;
CREATE INDEX activites_date ON activites (date) WHERE supprime_le IS NULL;
-- Commune, EPCI and lieu d'activité filters of the statistics.
CREATE INDEX activites_commune_date ON activites (code_insee, date) WHERE supprime_le IS NULL;
CREATE INDEX activites_lieu_date ON activites (lieu_id, date) WHERE supprime_le IS NULL;

-- Audit journal (append-only): who did what to what, and when. `action` is
-- a code (creation_activite…), `details` a JSON object; read newest first
-- by id.
CREATE TABLE journal (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quand TIMESTAMPTZ NOT NULL,
    acteur_id TEXT,
    action TEXT NOT NULL CHECK (action <> ''),
    cible TEXT,
    details TEXT NOT NULL
);
CREATE INDEX journal_quand ON journal (quand);
