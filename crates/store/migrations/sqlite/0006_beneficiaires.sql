-- Mediators' beneficiaries (crate maillage-beneficiaires, La Coop's
-- `model Beneficiaire` cut down to the minimum). Keep in step with the
-- other backend's migrations. Dates are TEXT YYYY-MM-DD and timestamps TEXT
-- RFC 3339, as in 0001 (both sort as text).
--
-- Anonymous by default: prénom and nom are both set only for a followed
-- beneficiary who agreed (`consentement_le`), and contact, birth year and
-- notes only with them. Deletion, the retention rule and merges anonymise
-- (`anonymise_le`): personal columns are erased, demographics stay for
-- statistics. A merged record points to the one it was merged into
-- (`fusionne_vers`). `nom_recherche` / `prenom_recherche` are the
-- normalised names (no accents, lower case) searched by prefix.
-- Activity records refer to beneficiaries by id inside their JSON.
CREATE TABLE beneficiaires (
    id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    mediateur_id TEXT NOT NULL CHECK (mediateur_id <> ''),
    prenom TEXT,
    nom TEXT,
    telephone TEXT,
    email TEXT,
    commune_code_insee TEXT,
    annee_naissance INTEGER,
    tranche_age TEXT,
    genre TEXT,
    statut_social TEXT,
    notes TEXT,
    nom_recherche TEXT NOT NULL DEFAULT '',
    prenom_recherche TEXT NOT NULL DEFAULT '',
    consentement_le TEXT,
    derniere_activite_le TEXT,
    cree_le TEXT NOT NULL,
    modifie_le TEXT NOT NULL,
    anonymise_le TEXT,
    fusionne_vers TEXT,
    CHECK ((prenom IS NULL) = (nom IS NULL)),
    CHECK (prenom IS NOT NULL OR (telephone IS NULL AND email IS NULL AND notes IS NULL
        AND annee_naissance IS NULL AND consentement_le IS NULL))
);
-- The owner's list and name search (partial: anonymised records are never
-- listed; a query must spell out `anonymise_le IS NULL`).
CREATE INDEX beneficiaires_mediateur_nom ON beneficiaires (mediateur_id, nom_recherche, prenom_recherche) WHERE anonymise_le IS NULL;
CREATE INDEX beneficiaires_mediateur_prenom ON beneficiaires (mediateur_id, prenom_recherche) WHERE anonymise_le IS NULL;
-- The daily retention sweep.
CREATE INDEX beneficiaires_derniere_activite ON beneficiaires (derniere_activite_le, cree_le) WHERE anonymise_le IS NULL;
