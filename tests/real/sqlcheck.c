/*
 * sqlcheck.c - a small SQL script runner linked with the unmodified SQLite
 * amalgamation. It is built twice from one source, natively with gcc and for
 * wasm32-wasi with clang-14 and wasi-libc, so the "real program" test can run
 * both and require the same output, exit status and database files.
 *
 * usage: sqlcheck DB [SCRIPT...]      no SCRIPT, or "-", reads standard input
 *
 * Scripts are SQL statements, each ended by ';', and dot directives on lines
 * of their own (see run_directive). Every result row is printed as its
 * columns joined by '|' (NULL as "NULL", blobs as x'hex', numbers as SQLite
 * itself formats them, so the text does not depend on the C library); every
 * error as "error: MESSAGE [EXTENDED-CODE]". Nothing printed depends on the
 * host: no absolute paths, no timings, errno values by name.
 *
 * Environment: PAGE_SIZE (applied with PRAGMA page_size to each connection
 * opened), SQLCHECK_VFS (default "unix-dotfile": the lock style that works
 * on WASI, used natively too so both builds take the same locks), and
 * SQLite's own SQLITE_TMPDIR for its temporary files.
 *
 * Exit status: the number of statements and directives that failed (at most
 * 100); 125 if the program could not start (bad usage, unreadable script).
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep, strdup */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3.h"

#define MAX_CONNS 2
#define EXIT_FATAL 125

typedef struct sqlcheck {
    const char *db_path;           /* the DB argument: .conn opens it */
    const char *vfs;
    sqlite3 *conns[MAX_CONNS];
    int current;                   /* index into conns */
    int show_changes;              /* .changes on */
    int errors;
} sqlcheck;

/* errno by name: the numbers differ between Linux and WASI, the names do not. */
static const char *errno_name(int e)
{
    switch (e) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOSPC: return "ENOSPC";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    default: return "other errno";
    }
}

static void fail_errno(sqlcheck *s, const char *what, const char *path)
{
    printf("error: %s %s: %s\n", what, path, errno_name(errno));
    s->errors++;
}

static void fail_msg(sqlcheck *s, const char *msg)
{
    printf("error: %s\n", msg);
    s->errors++;
}

/* ---- connections ------------------------------------------------------- */

static int conn_open(sqlcheck *s, int i, const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, s->vfs);
    if (rc != SQLITE_OK) {
        printf("error: open: %s [%d]\n", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
        sqlite3_close(db);
        s->errors++;
        return -1;
    }
    sqlite3_extended_result_codes(db, 1);
    const char *page_size = getenv("PAGE_SIZE");
    if (page_size) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA page_size=%d", atoi(page_size));
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            printf("error: %s [%d]\n", sqlite3_errmsg(db), sqlite3_extended_errcode(db));
    }
    s->conns[i] = db;
    return 0;
}

static void conn_close(sqlcheck *s, int i)
{
    if (!s->conns[i])
        return;
    int rc = sqlite3_close(s->conns[i]);
    if (rc != SQLITE_OK) {
        printf("error: close: %s [%d]\n", sqlite3_errstr(rc), rc);
        s->errors++;
    }
    s->conns[i] = NULL;
}

/* The current connection, opened on DB the first time it is used. */
static sqlite3 *conn_current(sqlcheck *s)
{
    if (!s->conns[s->current] && conn_open(s, s->current, s->db_path) != 0)
        return NULL;
    return s->conns[s->current];
}

/* ---- statements -------------------------------------------------------- */

static void print_value(sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        fputs("NULL", stdout);
        break;
    case SQLITE_INTEGER:
        printf("%lld", (long long)sqlite3_column_int64(st, col));
        break;
    case SQLITE_BLOB: {
        const unsigned char *b = sqlite3_column_blob(st, col);
        int n = sqlite3_column_bytes(st, col);
        fputs("x'", stdout);
        for (int i = 0; i < n; i++)
            printf("%02x", b[i]);
        fputc('\'', stdout);
        break;
    }
    default: /* TEXT and FLOAT: SQLite's own conversion, the same on every libc */
        fputs((const char *)sqlite3_column_text(st, col), stdout);
        break;
    }
}

static void run_statement(sqlcheck *s, sqlite3 *db, sqlite3_stmt *st)
{
    int ncol = sqlite3_column_count(st);
    sqlite3_int64 before = sqlite3_total_changes64(db);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < ncol; c++) {
            if (c)
                fputc('|', stdout);
            print_value(st, c);
        }
        fputc('\n', stdout);
    }
    if (rc != SQLITE_DONE) {
        printf("error: %s [%d]\n", sqlite3_errmsg(db), sqlite3_extended_errcode(db));
        s->errors++;
    } else if (s->show_changes && ncol == 0 && !sqlite3_stmt_readonly(st)) {
        printf("changes: %lld\n", (long long)(sqlite3_total_changes64(db) - before));
    }
}

/* Runs every statement in sql (already complete per sqlite3_complete). */
static void run_sql(sqlcheck *s, const char *sql)
{
    sqlite3 *db = conn_current(s);
    if (!db)
        return;
    while (*sql) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
            printf("error: %s [%d]\n", sqlite3_errmsg(db), sqlite3_extended_errcode(db));
            s->errors++;
            return; /* the rest of the text cannot be split reliably */
        }
        if (st) /* NULL for text that is only whitespace or comments */
            run_statement(s, db, st);
        sqlite3_finalize(st);
        sql = tail;
    }
}

/* ---- file directives ----------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* .files DIR: the entries in name order, with the size of regular files. */
static void dir_files(sqlcheck *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fail_errno(s, ".files", dir);
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                abort();
        }
        names[n] = strdup(e->d_name);
        if (!names[n++])
            abort();
    }
    closedir(d);
    if (n > 1) /* names is NULL for an empty directory */
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) != 0)
            fail_errno(s, ".files stat", names[i]);
        else if (S_ISDIR(st.st_mode))
            printf("  %s/\n", names[i]);
        else
            printf("  %s %lld\n", names[i], (long long)st.st_size);
        free(names[i]);
    }
    free(names);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* .header DB: reads the database header itself (seek + read), and checks
 * that the file holds exactly the pages the header counts by seeking to
 * the last one and reading it back. */
static void db_header(sqlcheck *s, const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fail_errno(s, ".header", path);
        return;
    }
    unsigned char h[100];
    struct stat st;
    if (fstat(fd, &st) != 0 || lseek(fd, 0, SEEK_SET) != 0 || read(fd, h, sizeof h) != (ssize_t)sizeof h) {
        fail_errno(s, ".header read", path);
        close(fd);
        return;
    }
    if (memcmp(h, "SQLite format 3", 16) != 0) {
        fail_msg(s, ".header: not an SQLite database");
        close(fd);
        return;
    }
    uint32_t page_size = (uint32_t)h[16] << 8 | h[17];
    if (page_size == 1)
        page_size = 65536;
    uint32_t pages = be32(h + 28);
    off_t last = (off_t)(pages - 1) * page_size;
    static unsigned char page[65536];
    int pages_ok = pages > 0 && lseek(fd, last, SEEK_SET) == last &&
                   read(fd, page, page_size) == (ssize_t)page_size &&
                   lseek(fd, 0, SEEK_END) == st.st_size &&
                   (off_t)pages * page_size == st.st_size;
    printf("header: page_size=%u pages=%u change_counter=%u freelist=%u schema_cookie=%u "
           "encoding=%u user_version=%u size_matches=%s\n",
           page_size, pages, be32(h + 24), be32(h + 36), be32(h + 40), be32(h + 56),
           be32(h + 60), pages_ok ? "yes" : "no");
    if (!pages_ok)
        s->errors++;
    close(fd);
}

/* .copy SRC DST: the classic atomic replace: write DST.tmp, fsync, rename. */
static void file_copy(sqlcheck *s, const char *src, const char *dst)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int in = open(src, O_RDONLY);
    if (in < 0) {
        fail_errno(s, ".copy open", src);
        return;
    }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        fail_errno(s, ".copy create", tmp);
        close(in);
        return;
    }
    static char buf[16384];
    long long total = 0;
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            n = -1;
            break;
        }
        total += n;
    }
    int ok = n == 0 && fsync(out) == 0;
    if (!ok)
        fail_errno(s, ".copy", src);
    close(in);
    if (close(out) != 0 && ok) {
        fail_errno(s, ".copy close", tmp);
        ok = 0;
    }
    if (ok && rename(tmp, dst) != 0) {
        fail_errno(s, ".copy rename", tmp);
        ok = 0;
    }
    if (ok)
        printf("copied %lld bytes\n", total);
}

/* .clock: the wall clock is after 2020 and the monotonic clock advances
 * across a 2 ms sleep by at least that much. */
static void clock_check(sqlcheck *s)
{
    struct timespec wall, t0, t1, nap = {0, 2000000};
    if (clock_gettime(CLOCK_REALTIME, &wall) != 0 || clock_gettime(CLOCK_MONOTONIC, &t0) != 0 ||
        nanosleep(&nap, NULL) != 0 || clock_gettime(CLOCK_MONOTONIC, &t1) != 0) {
        fail_errno(s, ".clock", "");
        return;
    }
    long long slept = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    int ok = wall.tv_sec > 1577836800 && slept >= 2000000;
    printf("clock: wall %s, monotonic %s\n", wall.tv_sec > 1577836800 ? "ok" : "wrong",
           slept >= 2000000 ? "ok" : "wrong");
    if (!ok)
        s->errors++;
}

/* ---- directives ----------------------------------------------------------- */

/* Splits "a b" at the first run of spaces: returns b, or NULL. */
static char *split(char *arg)
{
    char *sp = strchr(arg, ' ');
    if (!sp)
        return NULL;
    *sp++ = '\0';
    while (*sp == ' ')
        sp++;
    return *sp ? sp : NULL;
}

static void run_directive(sqlcheck *s, char *line, int argc, char **argv)
{
    char *arg = split(line);
    if (!strcmp(line, ".print")) {
        puts(arg ? arg : "");
    } else if (!strcmp(line, ".conn") && arg) {          /* .conn N: switch connection */
        int n = atoi(arg);
        if (n < 1 || n > MAX_CONNS)
            fail_msg(s, ".conn: no such connection");
        else
            s->current = n - 1;
    } else if (!strcmp(line, ".open")) {                 /* .open [PATH]: reopen current */
        conn_close(s, s->current);
        conn_open(s, s->current, arg ? arg : s->db_path);
    } else if (!strcmp(line, ".close")) {
        conn_close(s, s->current);
    } else if (!strcmp(line, ".timeout") && arg) {       /* busy timeout in ms */
        sqlite3 *db = conn_current(s);
        if (db)
            sqlite3_busy_timeout(db, atoi(arg));
    } else if (!strcmp(line, ".changes") && arg) {
        s->show_changes = !strcmp(arg, "on");
    } else if (!strcmp(line, ".files") && arg) {
        dir_files(s, arg);
    } else if (!strcmp(line, ".header") && arg) {
        db_header(s, arg);
    } else if (!strcmp(line, ".copy") && arg) {
        char *dst = split(arg);
        if (dst)
            file_copy(s, arg, dst);
        else
            fail_msg(s, ".copy needs SRC DST");
    } else if (!strcmp(line, ".rename") && arg) {
        char *dst = split(arg);
        if (!dst)
            fail_msg(s, ".rename needs OLD NEW");
        else if (rename(arg, dst) != 0)
            fail_errno(s, ".rename", arg);
    } else if (!strcmp(line, ".unlink") && arg) {
        if (unlink(arg) != 0)
            fail_errno(s, ".unlink", arg);
    } else if (!strcmp(line, ".env") && arg) {
        const char *v = getenv(arg);
        printf("%s%s%s\n", arg, v ? "=" : " is unset", v ? v : "");
    } else if (!strcmp(line, ".args")) {                 /* argv[0] differs by build */
        printf("args:");
        for (int i = 1; i < argc; i++)
            printf(" %s", argv[i]);
        putchar('\n');
    } else if (!strcmp(line, ".clock")) {
        clock_check(s);
    } else {
        printf("error: unknown directive %s\n", line);
        s->errors++;
    }
}

/* ---- scripts ------------------------------------------------------------ */

static char *read_all(FILE *f)
{
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static int blank(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return *p == '\0';
}

/* Lines starting with '.' between statements are directives; other lines
 * collect into a statement until sqlite3_complete says it is whole. */
static void run_script(sqlcheck *s, char *text, int argc, char **argv)
{
    size_t cap = strlen(text) + 1, len = 0;
    char *stmt = malloc(cap);
    if (!stmt)
        abort();
    stmt[0] = '\0';
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (blank(stmt) && line[0] == '.') {
            run_directive(s, line, argc, argv);
        } else if (!(blank(stmt) && strncmp(line, "--", 2) == 0)) {
            memcpy(stmt + len, line, n);
            len += n;
            stmt[len++] = '\n';
            stmt[len] = '\0';
            if (sqlite3_complete(stmt)) {
                run_sql(s, stmt);
                len = 0;
                stmt[0] = '\0';
            }
        }
        line = next;
    }
    if (!blank(stmt))
        run_sql(s, stmt); /* a last statement without ';' */
    free(stmt);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sqlcheck DB [SCRIPT...]   (no SCRIPT or \"-\": standard input)\n");
        return EXIT_FATAL;
    }
    sqlcheck s = {.db_path = argv[1]};
    s.vfs = getenv("SQLCHECK_VFS") ? getenv("SQLCHECK_VFS") : "unix-dotfile";
    if (!sqlite3_vfs_find(s.vfs)) {
        fprintf(stderr, "sqlcheck: no VFS named %s\n", s.vfs);
        return EXIT_FATAL;
    }
    int nscripts = argc > 2 ? argc - 2 : 1;
    for (int i = 0; i < nscripts; i++) {
        const char *name = argc > 2 ? argv[2 + i] : "-";
        FILE *f = strcmp(name, "-") ? fopen(name, "rb") : stdin;
        char *text = f ? read_all(f) : NULL;
        if (f && f != stdin)
            fclose(f);
        if (!text) {
            fprintf(stderr, "sqlcheck: cannot read %s: %s\n", name, errno_name(errno));
            return EXIT_FATAL;
        }
        run_script(&s, text, argc, argv);
        free(text);
    }
    for (int i = 0; i < MAX_CONNS; i++)
        conn_close(&s, i);
    if (fflush(stdout) != 0)
        return EXIT_FATAL;
    return s.errors > 100 ? 100 : s.errors;
}
