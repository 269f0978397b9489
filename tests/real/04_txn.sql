-- 04_txn.sql - rollback, savepoints, constraint errors, a second connection.
.print == rollback of a transaction larger than the cache
PRAGMA cache_size = 8;
SELECT count(*), sum(qty) FROM item;
BEGIN;
UPDATE item SET qty = qty + 1000;
DELETE FROM orders WHERE id % 3 = 0;
INSERT INTO customer(name, city, joined) VALUES ('temp', 'Nowhere', '2024-01-01');
SELECT count(*), sum(qty) FROM item;
.files db
ROLLBACK;
SELECT count(*), sum(qty) FROM item;
SELECT count(*) FROM customer WHERE name = 'temp';
PRAGMA cache_size = 2000;
PRAGMA integrity_check;

.print == savepoints
BEGIN;
SAVEPOINT a;
INSERT INTO customer(name, city, joined) VALUES ('sp1', 'Oslo', '2024-05-01');
SAVEPOINT b;
DELETE FROM item WHERE order_id <= 100;
SELECT count(*) FROM item;
ROLLBACK TO b;
RELEASE a;
COMMIT;
SELECT count(*) FROM item;
SELECT name FROM customer WHERE name = 'sp1';

.print == constraint errors (four expected)
INSERT INTO customer(name, city, joined) VALUES ('cust0001', 'Oslo', '2020-01-01');
INSERT INTO item VALUES (999999, 1, 1);
INSERT INTO product(sku, price_cents) VALUES ('free', 0);
BEGIN;
INSERT INTO customer(name, city, joined) VALUES ('kept', 'Lyon', '2024-06-01');
INSERT INTO customer(id, name, city, joined) VALUES (1, 'dup', 'Lyon', '2024-06-01');
COMMIT;
SELECT name FROM customer WHERE name IN ('kept', 'dup');

.print == a second connection (one expected "locked")
.conn 2
.timeout 20
SELECT count(*) FROM customer;
.conn 1
BEGIN IMMEDIATE;
INSERT INTO customer(name, city, joined) VALUES ('late', 'Cork', '2024-07-01');
.conn 2
SELECT count(*) FROM customer;
.conn 1
COMMIT;
.conn 2
SELECT count(*) FROM customer;
.close
.conn 1
.header db/shop.db
