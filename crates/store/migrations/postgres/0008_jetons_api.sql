-- API tokens (crate maillage-comptes, jeton_api.rs): long-lived bearer
-- secrets a user makes for a program, with scopes. Keep in step with the
-- other backend's migrations. Text keys use COLLATE "C" (same order as
-- SQLite).
--
-- Only the SHA-256 hex of the token is kept (`empreinte`, the lookup key):
-- the clear token is shown once to its owner and never stored.
-- `portees`: scope codes separated by spaces ("activites:lecture
-- statistiques:lecture"). A revoked token keeps its row (`revoque_le`) so
-- its owner still sees it listed.
CREATE TABLE jetons_api (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (id <> ''),
    utilisateur_id TEXT COLLATE "C" NOT NULL REFERENCES utilisateurs (id) ON DELETE CASCADE,
    nom TEXT NOT NULL CHECK (nom <> ''),
    empreinte TEXT COLLATE "C" NOT NULL UNIQUE CHECK (length(empreinte) = 64),
    portees TEXT NOT NULL CHECK (portees <> ''),
    cree_le TIMESTAMPTZ NOT NULL,
    expire_le TIMESTAMPTZ NOT NULL,
    dernier_usage_le TIMESTAMPTZ,
    revoque_le TIMESTAMPTZ
);
CREATE INDEX jetons_api_utilisateur ON jetons_api (utilisateur_id, cree_le);

-- Keyset paging of the activity API on (cree_le, id), per mediator: pages
-- stay stable while records are added (new ones sort last).
CREATE INDEX activites_mediateur_creation ON activites (mediateur_id, cree_le, id) WHERE supprime_le IS NULL;
