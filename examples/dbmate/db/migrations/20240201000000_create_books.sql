-- migrate:up
CREATE TABLE books (
  id int NOT NULL AUTO_INCREMENT,
  author_id int NOT NULL,
  title varchar(200) NOT NULL,
  isbn char(13) NULL,
  published_on date NULL,
  price decimal(8,2) NOT NULL DEFAULT 0.00,
  PRIMARY KEY (id),
  UNIQUE KEY uq_books_isbn (isbn),
  CONSTRAINT fk_books_author FOREIGN KEY (author_id) REFERENCES authors (id)
);

-- migrate:down
DROP TABLE books;
