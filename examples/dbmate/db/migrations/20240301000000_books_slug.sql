-- migrate:up
ALTER TABLE books ADD COLUMN slug varchar(220) NULL;
-- Titles repeat (two books may share one): the id keeps every slug unique.
UPDATE books SET slug = CONCAT(LOWER(REPLACE(title, ' ', '-')), '-', id);
CREATE UNIQUE INDEX uq_books_slug ON books (slug);

-- migrate:down
DROP INDEX uq_books_slug ON books;
ALTER TABLE books DROP COLUMN slug;
