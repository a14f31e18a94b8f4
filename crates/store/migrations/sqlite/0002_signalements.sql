-- Error reports sent by visitors from a place's page ("Signaler une erreur"),
-- read and closed by the registry's stewards. Keep in step with the other
-- backend's migrations. Minimal personal data: the reporter's e-mail is
-- optional and erased when the report is closed; closed reports are deleted
-- after the retention period (Store::purger_signalements).
CREATE TABLE signalements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lieu_id TEXT NOT NULL CHECK (lieu_id <> ''),
    categorie TEXT NOT NULL CHECK (categorie <> ''),
    message TEXT NOT NULL,
    courriel TEXT,
    cree_le TEXT NOT NULL,
    ferme_le TEXT
);
CREATE INDEX signalements_ouverts ON signalements (ferme_le, cree_le, id);
CREATE INDEX signalements_lieu ON signalements (lieu_id);

-- One row: a number bumped by every publication of the registry, so that
-- servers holding the registry in memory see cheaply when to reload it.
CREATE TABLE registry_version (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    version BIGINT NOT NULL
);
INSERT INTO registry_version (singleton, version) VALUES (1, 0);
