DROP PROCEDURE IF EXISTS order_event_count;
DROP TABLE IF EXISTS order_events;
