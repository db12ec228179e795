-- Written to be re-runnable: IF NOT EXISTS, a backfill that skips what it already did, and
-- a procedure dropped before it is created (no DELIMITER: the file runs as one batch).
CREATE TABLE IF NOT EXISTS order_events (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  order_id bigint unsigned NOT NULL,
  event varchar(32) NOT NULL,
  at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  KEY ix_order_events_order (order_id),
  CONSTRAINT fk_order_events_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO order_events (order_id, event)
SELECT o.id, 'created' FROM orders o
WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.event = 'created');

DROP PROCEDURE IF EXISTS order_event_count;
CREATE PROCEDURE order_event_count(IN p_order bigint unsigned)
BEGIN
  DECLARE n int DEFAULT 0;
  SELECT COUNT(*) INTO n FROM order_events WHERE order_id = p_order;
  IF n = 0 THEN
    SELECT 0 AS events;
  ELSE
    SELECT n AS events;
  END IF;
END;
