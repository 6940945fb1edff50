/* Errors: libember never aborts or exits on user error.
 *
 * A failing call returns NULL (or -1) and records a message in a thread-local
 * slot; later ops given a NULL input return NULL without replacing it, so a
 * chain of ops can be checked once at the end, as with cairo's status. */
#ifndef EMBER_ERROR_H
#define EMBER_ERROR_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The last error of this thread, or "" if none. */
const char *em_error_message(void);
/* true if an error is recorded on this thread. */
bool em_error_pending(void);
void em_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
