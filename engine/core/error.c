#include "error_internal.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];

const char *em_error_message(void) { return last_message; }

bool em_error_pending(void) { return last_message[0] != '\0'; }

void em_error_clear(void) { last_message[0] = '\0'; }

int em__error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return -1;
}
