-- 06_reopen.sql - read by a second run of the program on standard input:
-- everything the first run committed is there.
.print == reopened
PRAGMA integrity_check;
PRAGMA user_version;
SELECT (SELECT count(*) FROM customer), (SELECT count(*) FROM orders), (SELECT count(*) FROM item);
SELECT count(*), sum(order_id * 31 + product_id * 7 + qty) FROM item;
SELECT status, count(*) FROM orders GROUP BY status ORDER BY status;
SELECT name, city FROM customer WHERE id > 500 ORDER BY id;
SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name;
.header db/shop.db
.header db/snapshot.db
