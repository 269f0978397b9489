-- 03_query.sql - joins, aggregates, window functions, indexes.
.print == counts
SELECT (SELECT count(*) FROM customer), (SELECT count(*) FROM product),
       (SELECT count(*) FROM orders), (SELECT count(*) FROM item), (SELECT sum(qty) FROM item);

.print == query plan without and with indexes
EXPLAIN QUERY PLAN SELECT count(*) FROM orders WHERE customer_id = 42;
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX item_product ON item(product_id);
CREATE INDEX orders_placed ON orders(placed, status);
EXPLAIN QUERY PLAN SELECT count(*) FROM orders WHERE customer_id = 42;
SELECT count(*) FROM orders WHERE customer_id = 42;
ANALYZE;
SELECT tbl, idx FROM sqlite_stat1 ORDER BY tbl, idx;

.print == best customers
SELECT c.name, c.city, count(t.id) AS n, sum(t.cents) AS cents
FROM customer c JOIN order_total t ON t.customer_id = c.id
GROUP BY c.id ORDER BY cents DESC, c.name LIMIT 5;

.print == revenue per city and year
SELECT c.city, strftime('%Y', t.placed) AS year, count(*), sum(t.cents),
       printf('%.2f', avg(t.cents) / 100.0)
FROM order_total t JOIN customer c ON c.id = t.customer_id
GROUP BY c.city, year HAVING count(*) > 40 ORDER BY c.city, year;

.print == product ranking (window functions)
SELECT product_id, units, rnk, running FROM (
  SELECT product_id, sum(qty) AS units,
         rank() OVER (ORDER BY sum(qty) DESC) AS rnk,
         sum(sum(qty)) OVER (ORDER BY sum(qty) DESC, product_id ROWS UNBOUNDED PRECEDING) AS running
  FROM item GROUP BY product_id)
WHERE rnk <= 5 ORDER BY rnk, product_id;
SELECT quartile, count(*), min(id), max(id) FROM (
  SELECT id, ntile(4) OVER (ORDER BY joined, id) AS quartile FROM customer)
GROUP BY quartile ORDER BY quartile;

.print == customers without orders, products never sold
SELECT count(*) FROM customer c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);
SELECT count(*) FROM product WHERE id NOT IN (SELECT product_id FROM item);

.print == mixed functions
SELECT group_concat(name, ',' ORDER BY name DESC) FROM (SELECT name FROM customer WHERE id % 97 = 0);
SELECT json_group_array(json_object('id', id, 'sku', sku)) FROM product WHERE id <= 3;
SELECT json_extract('{"a":[1,2,{"b":3.25}]}', '$.a[2].b'), hex(x'00ff10'), zeroblob(3), x'cafe';
SELECT 1.0 / 3, 2.0 / 3, 1e300 * 10, -0.0, 0.1 + 0.2, 1e-7, 123456789.125, round(2.675, 2);
SELECT avg(weight), total(weight), sum(weight) / count(*), min(weight), max(weight) FROM product;
SELECT date('2024-02-28', '+1 day'), date('2023-02-28', '+1 day'), strftime('%j %w', '2024-12-31'),
       julianday('2024-03-01') - julianday('2024-02-01'), unixepoch('2000-01-01 00:00:00');
SELECT typeof(1), typeof(1.5), typeof('x'), typeof(x'01'), typeof(NULL), 7 / 2, 7 % 3, -7 / 2;
SELECT count(*) FROM customer WHERE name LIKE 'cust00_5' OR name GLOB 'cust049[0-3]';
WITH RECURSIVE fib(n, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT n + 1, b, a + b FROM fib WHERE n < 90)
SELECT n, a FROM fib WHERE n IN (10, 50, 90);

.print == updates through a trigger
.changes on
UPDATE orders SET status = 'shipped' WHERE id % 4 = 0;
UPDATE orders SET status = 'paid' WHERE status = 'open' AND id % 5 = 0;
.changes off
SELECT status, count(*) FROM orders GROUP BY status ORDER BY status;
SELECT what, count(*), min(seq), max(seq) FROM audit GROUP BY what ORDER BY what;
