CREATE TABLE orders (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  total int NOT NULL DEFAULT 0,
  status varchar(16) NOT NULL DEFAULT 'new'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
