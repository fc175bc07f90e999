/* Prints one of stekd's SQL statements (for pgbench), from the one place they are written. */
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    const char *sql;
} statements[] = {
#define S(name, nparams, sql) {#name, sql},
#include "../../service/stekd/db/statements.def"
#undef S
};

int
main(int argc, char **argv)
{
    for (size_t i = 0; argc == 2 && i < sizeof(statements) / sizeof(statements[0]); i++) {
        if (strcmp(statements[i].name, argv[1]) == 0) {
            puts(statements[i].sql);
            return 0;
        }
    }
    fprintf(stderr, "usage: print_sql STATEMENT_NAME\n");
    return 2;
}
