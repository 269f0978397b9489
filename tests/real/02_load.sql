-- 02_load.sql - customers and products, made by recursive queries in
-- transactions (the orders come on standard input, one INSERT at a time).
.print == load
.changes on
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO customer(id, name, city, joined)
  SELECT i, printf('cust%04d', i),
         CASE i % 7 WHEN 0 THEN 'Oslo' WHEN 1 THEN 'Lyon' WHEN 2 THEN 'Porto' WHEN 3 THEN 'Gent'
                    WHEN 4 THEN 'Turku' WHEN 5 THEN 'Brno' ELSE 'Cork' END,
         date('2020-01-01', '+' || (i * 37 % 1500) || ' days')
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO product(id, sku, title, price_cents, weight)
  SELECT i, printf('SKU-%05d', i * 7919 % 100000),
         'product ' || upper(substr('abcdefghijklmnopqrstuvwxyz', i % 26 + 1, 3)) || ' #' || i,
         100 + (i * 7331 % 9900), (i % 50) * 0.25 + 0.1
  FROM n;
COMMIT;
.changes off
SELECT count(*), min(joined), max(joined) FROM customer;
SELECT count(*), sum(price_cents), printf('%.2f', sum(weight)) FROM product;
.header db/shop.db
