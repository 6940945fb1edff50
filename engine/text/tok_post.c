/* Post-processors for a single sequence: TemplateProcessing, BertProcessing,
 * RobertaProcessing, ByteLevel (ids unchanged) and Sequence. Each becomes a
 * template of ids in which -1 stands for the sequence. */
#include "tok.h"

#include <stdlib.h>
#include <string.h>

struct tk_post {
    tk_ids tpl; /* empty when the processor adds nothing */
    bool has_tpl;
    tk_post **kids;
    size_t n_kids;
};

void tk_post_free(tk_post *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_kids; i++)
        tk_post_free(p->kids[i]);
    free(p->kids);
    tk_ids_free(&p->tpl);
    free(p);
}

/* ["[CLS]", 101] */
static int token_pair(const tk_load *L, json_object *o, const char *where, const char *key, int32_t *id)
{
    json_object *v = tk_json_get(o, key);
    json_object *i = v && json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2
                         ? json_object_array_get_idx(v, 1) : NULL;
    if (!i || !json_object_is_type(i, json_type_int) ||
        !json_object_is_type(json_object_array_get_idx(v, 0), json_type_string))
        return em__error("%s: %s.%s must be [\"token\", id]", L->src, where, key);
    int64_t x = json_object_get_int64(i);
    if (x < 0 || x > INT32_MAX - 1)
        return em__error("%s: %s.%s id %lld is out of range", L->src, where, key, (long long)x);
    *id = (int32_t)x;
    return 0;
}

static int template_single(const tk_load *L, tk_post *p, json_object *o, const char *where)
{
    json_object *single = tk_json_get(o, "single"), *specials = tk_json_get(o, "special_tokens");
    if (!single || !json_object_is_type(single, json_type_array))
        return em__error("%s: %s.single must be an array", L->src, where);
    if (specials && !json_object_is_type(specials, json_type_object))
        return em__error("%s: %s.special_tokens must be an object", L->src, where);
    p->has_tpl = true;
    size_t n = json_object_array_length(single);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(single, i), *v;
        if ((v = tk_json_get(it, "Sequence"))) {
            if (tk_ids_push(&p->tpl, -1))
                return -1;
            continue;
        }
        v = tk_json_get(it, "SpecialToken");
        json_object *name = tk_json_get(v, "id");
        if (!name || !json_object_is_type(name, json_type_string))
            return em__error("%s: %s.single[%zu] must be {\"Sequence\": ...} or "
                             "{\"SpecialToken\": {\"id\": ...}}", L->src, where, i);
        json_object *sp = tk_json_get(specials, json_object_get_string(name));
        json_object *ids = tk_json_get(sp, "ids");
        if (!ids || !json_object_is_type(ids, json_type_array))
            return em__error("%s: %s: special token '%s' is missing from special_tokens", L->src,
                             where, json_object_get_string(name));
        for (size_t k = 0; k < json_object_array_length(ids); k++) {
            json_object *x = json_object_array_get_idx(ids, k);
            if (!x || !json_object_is_type(x, json_type_int) || json_object_get_int64(x) < 0 ||
                json_object_get_int64(x) >= INT32_MAX)
                return em__error("%s: %s.special_tokens['%s'].ids[%zu] must be an id", L->src,
                                 where, json_object_get_string(name), k);
            if (tk_ids_push(&p->tpl, (int32_t)json_object_get_int64(x)))
                return -1;
        }
    }
    return 0;
}

tk_post *tk_post_from_json(const tk_load *L, json_object *o, const char *where,
                           const struct em_tokenizer *tok)
{
    char *type;
    if (tk_json_component_type(L, o, where, &type) < 0)
        return NULL;
    tk_post *p = calloc(1, sizeof *p);
    int rc = p ? 0 : em__error("tokenizer: out of memory");
    if (rc) {
    } else if (!strcmp(type, "TemplateProcessing")) {
        rc = template_single(L, p, o, where);
    } else if (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing")) {
        int32_t cls, sep;
        rc = token_pair(L, o, where, "cls", &cls) || token_pair(L, o, where, "sep", &sep);
        p->has_tpl = true;
        if (!rc)
            rc = tk_ids_push(&p->tpl, cls) || tk_ids_push(&p->tpl, -1) || tk_ids_push(&p->tpl, sep);
    } else if (!strcmp(type, "ByteLevel")) {
        /* only trims offsets */
    } else if (!strcmp(type, "Sequence")) {
        json_object *arr = tk_json_get(o, "processors");
        if (!arr || !json_object_is_type(arr, json_type_array))
            rc = em__error("%s: %s.processors must be an array", L->src, where);
        size_t k = rc ? 0 : json_object_array_length(arr);
        if (!rc && !(p->kids = calloc(k ? k : 1, sizeof *p->kids)))
            rc = em__error("tokenizer: out of memory");
        for (size_t i = 0; i < k && !rc; i++) {
            char w[256];
            snprintf(w, sizeof w, "%s.processors[%zu]", where, i);
            if (!(p->kids[i] = tk_post_from_json(L, json_object_array_get_idx(arr, i), w, tok)))
                rc = -1;
            else
                p->n_kids++;
        }
    } else
        rc = em__error("%s: %s.type '%s' is not a supported post-processor", L->src, where, type);
    free(type);
    if (rc) {
        tk_post_free(p);
        return NULL;
    }
    return p;
}

int tk_post_apply(const tk_post *p, tk_ids *ids)
{
    for (size_t i = 0; i < p->n_kids; i++)
        if (tk_post_apply(p->kids[i], ids))
            return -1;
    if (!p->has_tpl)
        return 0;
    tk_ids out = {0};
    for (size_t i = 0; i < p->tpl.n; i++) {
        int rc = p->tpl.v[i] < 0 ? tk_ids_add(&out, ids->v, ids->n) : tk_ids_push(&out, p->tpl.v[i]);
        if (rc) {
            tk_ids_free(&out);
            return -1;
        }
    }
    tk_ids_free(ids);
    *ids = out;
    return 0;
}

int32_t tk_post_first_special(const tk_post *p)
{
    if (!p)
        return -1;
    if (p->has_tpl && p->tpl.n && p->tpl.v[0] >= 0)
        return p->tpl.v[0];
    for (size_t i = 0; i < p->n_kids; i++) {
        int32_t r = tk_post_first_special(p->kids[i]);
        if (r >= 0)
            return r;
    }
    return -1;
}
