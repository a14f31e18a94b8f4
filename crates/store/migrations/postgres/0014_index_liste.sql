-- The activity list and its export read the live records newest date
-- first, then by id, a page at a time after the last (date, id) read.
-- With an index on the date alone, each page re-sorted a whole day of
-- records by id; this one hands them over in that order. It serves the
-- date ranges of the former `activites_date` too. Keep in step with the
-- other backend's migrations.
DROP INDEX activites_date;
CREATE INDEX activites_date_id ON activites (date DESC, id) WHERE supprime_le IS NULL;
