#ifndef EMBER_SCOPE_INTERNAL_H
#define EMBER_SCOPE_INTERNAL_H
#include "ember/array.h"

/* Gives the innermost open scope of this thread the reference `a` (no-op when
 * none is open: the caller owns it). */
void em__scope_add(em_array *a);
/* A copy of name that lives as long as the process (module labels). */
const char *em__intern(const char *name);

#endif
