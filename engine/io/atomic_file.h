/* Atomic writes: data goes to PATH.tmp-XXXXXX beside PATH, is flushed, then
 * renamed over PATH, so a crash never leaves a half-written file. */
#ifndef EMBER_ATOMIC_FILE_H
#define EMBER_ATOMIC_FILE_H

#include <stdio.h>

typedef struct em_atomic_file {
    FILE *f;
    char *tmp_path;
    char *path;
} em_atomic_file;

int em__atomic_open(em_atomic_file *af, const char *path);
/* Flushes, syncs and renames; or removes the temporary file if `ok` is false. */
int em__atomic_close(em_atomic_file *af, int ok);

#endif
