-- Accounts of the mediators' workspace (crate maillage-comptes): users,
-- role grants, coordinator–mediator links, sessions, single-use tokens and
-- login throttling. Keep in step with the other backend's migrations. Dates
-- are DATE and timestamps TIMESTAMPTZ; text keys use COLLATE "C" (same order
-- as SQLite). Sessions and throttling live here, not in a server's memory, so
-- that several stateless servers can share one database.
--
-- `email` is stored trimmed and lower-cased by the store, so the UNIQUE
-- constraint is case-insensitive for every address the store wrote.
-- `mot_de_passe` is the PHC string (argon2id); the store never hashes.
CREATE TABLE utilisateurs (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (id <> ''),
    email TEXT COLLATE "C" NOT NULL UNIQUE CHECK (email <> ''),
    nom TEXT,
    mot_de_passe TEXT NOT NULL CHECK (mot_de_passe <> ''),
    email_verifie_le TIMESTAMPTZ,
    cree_le TIMESTAMPTZ NOT NULL,
    desactive_le TIMESTAMPTZ
);

-- Role grants. The scope is a kind and a code: ('structure', 'S1'),
-- ('departement', '33'), ('region', '75'); kinds without a code
-- ('personnel', 'equipe', 'national') have '' (not NULL: the code is part
-- of the primary key). A coordinator's team is in `liens_equipe`.
CREATE TABLE attributions (
    utilisateur_id TEXT COLLATE "C" NOT NULL REFERENCES utilisateurs (id) ON DELETE CASCADE,
    role TEXT COLLATE "C" NOT NULL,
    perimetre TEXT COLLATE "C" NOT NULL,
    perimetre_code TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (utilisateur_id, role, perimetre, perimetre_code),
    CHECK ((perimetre IN ('personnel', 'equipe', 'national')) = (perimetre_code = ''))
);

-- Coordinator–mediator links: `debut` inclusive, `fin` exclusive (NULL:
-- still in the team). A mediator may leave and come back: one row per
-- period, at most one open.
CREATE TABLE liens_equipe (
    coordinateur_id TEXT COLLATE "C" NOT NULL REFERENCES utilisateurs (id) ON DELETE CASCADE,
    mediateur_id TEXT COLLATE "C" NOT NULL REFERENCES utilisateurs (id) ON DELETE CASCADE,
    debut DATE NOT NULL,
    fin DATE,
    PRIMARY KEY (coordinateur_id, mediateur_id, debut),
    CHECK (coordinateur_id <> mediateur_id),
    CHECK (fin IS NULL OR fin >= debut)
);
CREATE UNIQUE INDEX liens_equipe_ouverts ON liens_equipe (coordinateur_id, mediateur_id) WHERE fin IS NULL;

-- Sessions, keyed by the SHA-256 (hex) of the cookie's token: the clear
-- token is never stored, so a leaked table opens no session.
CREATE TABLE sessions (
    empreinte TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(empreinte) = 64),
    utilisateur_id TEXT COLLATE "C" NOT NULL REFERENCES utilisateurs (id) ON DELETE CASCADE,
    cree_le TIMESTAMPTZ NOT NULL,
    expire_le TIMESTAMPTZ NOT NULL,
    derniere_activite_le TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expire_le ON sessions (expire_le);
CREATE INDEX sessions_utilisateur ON sessions (utilisateur_id);

-- Single-use tokens (e-mail verification, password reset, invitation),
-- keyed by the SHA-256 (hex) of the clear token sent by e-mail. An
-- invitation may name an address that has no account yet.
CREATE TABLE jetons (
    empreinte TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (length(empreinte) = 64),
    but TEXT NOT NULL,
    utilisateur_id TEXT COLLATE "C" REFERENCES utilisateurs (id) ON DELETE CASCADE,
    email TEXT COLLATE "C",
    cree_le TIMESTAMPTZ NOT NULL,
    expire_le TIMESTAMPTZ NOT NULL,
    utilise_le TIMESTAMPTZ,
    CHECK (utilisateur_id IS NOT NULL OR email IS NOT NULL)
);
CREATE INDEX jetons_expire_le ON jetons (expire_le);

-- Login throttling state per key ("email:…", "ip:…"): the `Freinage` JSON.
CREATE TABLE freinage (
    cle TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (cle <> ''),
    etat TEXT NOT NULL,
    modifie_le TIMESTAMPTZ NOT NULL
);
CREATE INDEX freinage_modifie_le ON freinage (modifie_le);
