-- migrate:up
ALTER TABLE books ADD COLUMN slug varchar(220) NULL;
UPDATE books SET slug = LOWER(REPLACE(title, ' ', '-'));
CREATE UNIQUE INDEX uq_books_slug ON books (slug);

-- migrate:down
DROP INDEX uq_books_slug ON books;
ALTER TABLE books DROP COLUMN slug;
