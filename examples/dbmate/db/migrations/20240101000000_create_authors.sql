-- migrate:up
CREATE TABLE authors (
  id int NOT NULL AUTO_INCREMENT,
  name varchar(120) NOT NULL,
  bio text NULL,
  PRIMARY KEY (id)
);

-- migrate:down
DROP TABLE authors;
