-- Invitations to a role (issue 4 §1): the single-use token is a `jetons`
-- row (purpose 'invitation', the invited address in `email`); this row
-- says what accepting it grants, and, when a coordinator invited a
-- mediator, whose team the mediator joins. Keep in step with the other
-- backend's migrations.
CREATE TABLE invitations (
    empreinte TEXT NOT NULL PRIMARY KEY REFERENCES jetons (empreinte) ON DELETE CASCADE,
    role TEXT NOT NULL,
    perimetre TEXT NOT NULL,
    perimetre_code TEXT NOT NULL DEFAULT '',
    invite_par TEXT REFERENCES utilisateurs (id) ON DELETE SET NULL,
    equipe_de TEXT REFERENCES utilisateurs (id) ON DELETE CASCADE
);
