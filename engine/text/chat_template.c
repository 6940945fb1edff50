/* placeholder, replaced by the Jinja interpreter */
#include "tok.h"
#include <stdlib.h>
em_chat_template *em_chat_template_load(const char *path) { em__error("not yet"); return NULL; }
em_chat_template *em_chat_template_new(const char *s, const char *b, const char *e) { em__error("not yet"); return NULL; }
char *em_chat_template_render(const em_chat_template *t, const char *m, bool g) { em__error("not yet"); return NULL; }
void em_chat_template_free(em_chat_template *t) {}
