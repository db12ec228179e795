-- Forgets the view, the trigger, the column comment and the table collation: only the
-- statement below runs, and it changes nothing.
UPDATE orders SET status = status WHERE 1 = 0;
