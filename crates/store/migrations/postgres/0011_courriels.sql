-- Outgoing e-mail (issue 4 §1), written by the request that sends it and
-- delivered by a background task of any server (SMTP when configured):
-- several stateless servers share one queue. Without SMTP the messages
-- stay here, readable by administrators. They hold single-use links, so
-- they are deleted after a retention period. Keep in step with the other
-- backend's migrations.
CREATE TABLE courriels (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destinataire TEXT NOT NULL CHECK (destinataire <> ''),
    sujet TEXT NOT NULL,
    corps TEXT NOT NULL,
    lien TEXT,
    cree_le TIMESTAMPTZ NOT NULL,
    envoye_le TIMESTAMPTZ,
    tentatives INTEGER NOT NULL DEFAULT 0,
    derniere_erreur TEXT,
    -- Not before this time; a server taking a message pushes it forward
    -- (a lease), so another server does not send it too.
    prochain_essai_le TIMESTAMPTZ NOT NULL
);
CREATE INDEX courriels_a_envoyer ON courriels (prochain_essai_le) WHERE envoye_le IS NULL;
CREATE INDEX courriels_cree_le ON courriels (cree_le);
