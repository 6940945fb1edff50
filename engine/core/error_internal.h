#ifndef EMBER_ERROR_INTERNAL_H
#define EMBER_ERROR_INTERNAL_H
#include "ember/error.h"

/* Records a printf-style message as this thread's error. Always returns -1,
 * so `return em__error("...")` works in functions returning a status. */
int em__error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
