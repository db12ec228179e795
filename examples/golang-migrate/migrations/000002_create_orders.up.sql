CREATE TABLE orders (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  account_id bigint unsigned NOT NULL,
  total_cents int NOT NULL,
  status enum('new','paid','shipped') NOT NULL DEFAULT 'new',
  PRIMARY KEY (id),
  KEY ix_orders_account (account_id),
  CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
