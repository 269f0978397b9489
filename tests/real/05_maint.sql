-- 05_maint.sql - deletes, journal modes, VACUUM, snapshots, file operations.
.print == delete and journal modes
PRAGMA journal_mode = TRUNCATE;
DELETE FROM item WHERE order_id > 1200;
DELETE FROM orders WHERE id > 1200;
.files db
.header db/shop.db
PRAGMA freelist_count;
PRAGMA journal_mode = DELETE;
.files db

.print == vacuum
VACUUM;
PRAGMA freelist_count;
PRAGMA user_version = 7;
.header db/shop.db
PRAGMA integrity_check;
PRAGMA foreign_key_check;

.print == snapshot by VACUUM INTO, renamed into place
VACUUM INTO 'db/snapshot.tmp';
.rename db/snapshot.tmp db/snapshot.db
ATTACH 'db/snapshot.db' AS snap;
SELECT count(*) FROM (SELECT * FROM item EXCEPT SELECT * FROM snap.item);
SELECT count(*) FROM (SELECT * FROM snap.orders EXCEPT SELECT * FROM orders);
DETACH snap;

.print == file copy (fsync, rename), opened as a database
.copy db/shop.db db/backup.db
.open db/backup.db
PRAGMA integrity_check;
SELECT count(*), sum(order_id * 31 + product_id * 7 + qty) FROM item;
PRAGMA user_version;
.open
.rename db/backup.db db/backup2.db
.unlink db/backup2.db
.unlink db/backup2.db
.header db/nothing.db
.files db
.files tmp
