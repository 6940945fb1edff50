/* em_chat_template: tokenizer_config.json's chat_template, rendered by the
 * Jinja interpreter with the conversation and the special tokens. */
#include <stdlib.h>
#include <string.h>

#include "jinja.h"
#include "tok.h"

struct em_chat_template {
    jnode *program;
    char *bos, *eos;
};

em_chat_template *em_chat_template_new(const char *source, const char *bos_token,
                                       const char *eos_token)
{
    if (!source) {
        em__error("em_chat_template_new: no template");
        return NULL;
    }
    em_chat_template *t = calloc(1, sizeof *t);
    if (!t) {
        em__error("chat template: out of memory");
        return NULL;
    }
    t->program = jinja_parse(source, strlen(source));
    if ((bos_token && !(t->bos = strdup(bos_token))) || (eos_token && !(t->eos = strdup(eos_token))))
        em__error("chat template: out of memory");
    if (!t->program || (bos_token && !t->bos) || (eos_token && !t->eos)) {
        em_chat_template_free(t);
        return NULL;
    }
    return t;
}

/* "<s>" or {"content": "<s>", ...} */
static const char *token_text(json_object *cfg, const char *key)
{
    json_object *v = tk_json_get(cfg, key);
    if (v && json_object_is_type(v, json_type_object))
        v = tk_json_get(v, "content");
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

em_chat_template *em_chat_template_load(const char *path)
{
    if (!path) {
        em__error("em_chat_template_load: no path");
        return NULL;
    }
    tk_buf file = {0};
    tk_buf_add(&file, path, strlen(path));
    if (tk_is_dir(path))
        tk_buf_add(&file, "/tokenizer_config.json", 22);
    if (tk_buf_nul(&file))
        return NULL;
    size_t n;
    char *s = tk_read_file(file.p, &n);
    json_object *cfg = s ? tk_parse_json(file.p, s, n) : NULL;
    free(s);
    em_chat_template *t = NULL;
    json_object *tpl = tk_json_get(cfg, "chat_template");
    if (cfg && !json_object_is_type(cfg, json_type_object))
        em__error("%s: must be a JSON object", file.p);
    else if (cfg && !tpl)
        em__error("%s: has no chat_template", file.p);
    else if (tpl && json_object_is_type(tpl, json_type_array)) {
        /* named templates: take "default" */
        const char *src = NULL;
        for (size_t i = 0; i < json_object_array_length(tpl); i++) {
            json_object *e = json_object_array_get_idx(tpl, i), *nm = tk_json_get(e, "name");
            json_object *tt = tk_json_get(e, "template");
            if (nm && json_object_is_type(nm, json_type_string) && !strcmp(json_object_get_string(nm), "default") &&
                tt && json_object_is_type(tt, json_type_string))
                src = json_object_get_string(tt);
        }
        if (!src)
            em__error("%s: chat_template lists no template named \"default\"", file.p);
        else
            t = em_chat_template_new(src, token_text(cfg, "bos_token"), token_text(cfg, "eos_token"));
    } else if (tpl && !json_object_is_type(tpl, json_type_string))
        em__error("%s: chat_template must be a string or a list, not %s", file.p, tk_json_type_name(tpl));
    else if (tpl)
        t = em_chat_template_new(json_object_get_string(tpl), token_text(cfg, "bos_token"),
                                 token_text(cfg, "eos_token"));
    if (!t && tpl && em_error_pending() && strncmp(em_error_message(), file.p, strlen(file.p))) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", em_error_message());
        em__error("%s: %s", file.p, msg);
    }
    json_object_put(cfg);
    tk_buf_free(&file);
    return t;
}

char *em_chat_template_render(const em_chat_template *t, const char *messages_json,
                              bool add_generation_prompt)
{
    if (!t || !messages_json) {
        em__error("em_chat_template_render: NULL argument");
        return NULL;
    }
    json_object *m = tk_parse_json("messages", messages_json, strlen(messages_json));
    if (!m)
        return NULL;
    jv *vars = jv_obj(JV_OBJ), *in = jv_from_json(m);
    json_object_put(m);
    char *out = NULL;
    int rc = vars && in ? 0 : -1;
    if (!rc && in->t == JV_ARR)
        rc = jv_set(vars, "messages", jv_ref(in));
    else if (!rc && in->t == JV_OBJ)
        for (size_t i = 0; i < in->o.n && !rc; i++)
            rc = jv_set(vars, in->o.k[i], jv_ref(in->o.v[i]));
    else if (!rc)
        rc = em__error("messages: must be a JSON array of messages or an object of variables");
    if (!rc)
        rc = jv_set(vars, "add_generation_prompt", jv_bool(add_generation_prompt));
    if (!rc && t->bos && !jv_get(vars, "bos_token"))
        rc = jv_set(vars, "bos_token", jv_cstr(t->bos));
    if (!rc && t->eos && !jv_get(vars, "eos_token"))
        rc = jv_set(vars, "eos_token", jv_cstr(t->eos));
    if (!rc)
        out = jinja_render(t->program, vars);
    jv_unref(vars);
    jv_unref(in);
    return out;
}

void em_chat_template_free(em_chat_template *t)
{
    if (!t)
        return;
    jnode_free(t->program);
    free(t->bos);
    free(t->eos);
    free(t);
}
