CREATE VIEW v_orders AS SELECT id, total, status FROM orders;
CREATE TRIGGER trg_orders_total BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = GREATEST(NEW.total, 0);
ALTER TABLE orders MODIFY total int NOT NULL DEFAULT 0 COMMENT 'amount in cents';
ALTER TABLE orders COLLATE = utf8mb4_unicode_ci;
