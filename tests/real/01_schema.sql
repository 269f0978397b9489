-- 01_schema.sql - what the program was given, and the shop's schema.
.print == environment
.args
.env PAGE_SIZE
.env SQLITE_TMPDIR
.env HOME
.clock
SELECT julianday('now') > julianday('2020-01-01'), sqlite_version();

.print == schema
PRAGMA foreign_keys = ON;
PRAGMA page_size;
PRAGMA journal_mode;
CREATE TABLE customer(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  city TEXT NOT NULL,
  joined TEXT NOT NULL
);
CREATE TABLE product(
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  title TEXT,
  price_cents INTEGER NOT NULL CHECK (price_cents > 0),
  weight REAL
);
CREATE TABLE orders(
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer(id),
  placed TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open'
);
CREATE TABLE item(
  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id INTEGER NOT NULL REFERENCES product(id),
  qty INTEGER NOT NULL,
  PRIMARY KEY (order_id, product_id)
) WITHOUT ROWID;
CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT, row_id INTEGER);
CREATE TRIGGER orders_status AFTER UPDATE OF status ON orders
BEGIN
  INSERT INTO audit(what, row_id) VALUES ('status:' || new.status, new.id);
END;
CREATE VIEW order_total AS
  SELECT o.id, o.customer_id, o.placed, sum(i.qty * p.price_cents) AS cents
  FROM orders o JOIN item i ON i.order_id = o.id JOIN product p ON p.id = i.product_id
  GROUP BY o.id;
SELECT type, name FROM sqlite_schema ORDER BY type, name;
.header db/shop.db
