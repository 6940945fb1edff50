/* em_tokenizer: loading a tokenizer.json, encode and decode. */
#include "tok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- reading files ---- */

char *tk_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        em__error("%s: cannot open: %m", path);
        return NULL;
    }
    tk_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (tk_buf_add(&b, chunk, n)) {
            fclose(f);
            tk_buf_free(&b);
            return NULL;
        }
    bool err = ferror(f);
    fclose(f);
    if (err || tk_buf_nul(&b)) {
        tk_buf_free(&b);
        em__error("%s: read error", path);
        return NULL;
    }
    *len = b.n;
    return b.p;
}

json_object *tk_parse_json(const char *src, const char *s, size_t n)
{
    if (n > INT32_MAX) {
        em__error("%s: too large for a JSON file (%zu bytes)", src, n);
        return NULL;
    }
    json_tokener *t = json_tokener_new_ex(256);
    if (!t) {
        em__error("tokenizer: out of memory");
        return NULL;
    }
    json_object *o = json_tokener_parse_ex(t, s, (int)n);
    enum json_tokener_error e = json_tokener_get_error(t);
    if (!o || e != json_tokener_success) {
        em__error("%s: not valid JSON: %s at byte %zu", src,
                  e == json_tokener_continue ? "unexpected end of file" : json_tokener_error_desc(e),
                  json_tokener_get_parse_end(t));
        json_object_put(o);
        o = NULL;
    } else {
        /* trailing garbage after the value */
        size_t end = json_tokener_get_parse_end(t);
        while (end < n && (s[end] == ' ' || s[end] == '\n' || s[end] == '\r' || s[end] == '\t'))
            end++;
        if (end < n) {
            em__error("%s: not valid JSON: unexpected data at byte %zu", src, end);
            json_object_put(o);
            o = NULL;
        }
    }
    json_tokener_free(t);
    return o;
}

bool tk_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- added tokens ---- */

static int32_t lookup(const em_tokenizer *tok, const char *s, size_t n)
{
    int32_t k = tk_strmap_get(&tok->added_map, s, n);
    if (k >= 0)
        return tok->added[k].id;
    return tk_model_token_to_id(tok->model, s, n);
}

/* AddedVocabulary::add_tokens: ids come from the vocabulary, else follow it. */
static int load_added(const tk_load *L, em_tokenizer *tok, json_object *arr)
{
    if (!arr)
        return 0;
    if (!json_object_is_type(arr, json_type_array))
        return em__error("%s: added_tokens must be an array, not %s", L->src, tk_json_type_name(arr));
    size_t n = json_object_array_length(arr);
    tok->added = calloc(n ? n : 1, sizeof *tok->added);
    if (!tok->added)
        return em__error("tokenizer: out of memory");
    int64_t vsize = (int64_t)tk_model_vocab_size(tok->model), max_added = -1;
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        char w[64];
        snprintf(w, sizeof w, "added_tokens[%zu]", i);
        if (!o || !json_object_is_type(o, json_type_object))
            return em__error("%s: %s must be an object", L->src, w);
        tk_added a = {0};
        json_object *c = tk_json_get(o, "content");
        if (!c || !json_object_is_type(c, json_type_string))
            return em__error("%s: %s.content must be a string", L->src, w);
        int64_t file_id = 0;
        if (tk_json_bool(L, o, w, "special", &a.special))
            return -1;
        a.normalized = !a.special;
        if (tk_json_bool(L, o, w, "single_word", &a.single_word) ||
            tk_json_bool(L, o, w, "lstrip", &a.lstrip) || tk_json_bool(L, o, w, "rstrip", &a.rstrip) ||
            tk_json_bool(L, o, w, "normalized", &a.normalized) ||
            tk_json_int(L, o, w, "id", 0, INT32_MAX, &file_id))
            return -1;
        a.len = (size_t)json_object_get_string_len(c);
        if (a.len == 0)
            continue;
        const char *s = json_object_get_string(c);
        int32_t k = tk_strmap_get(&tok->added_map, s, a.len);
        int32_t id = lookup(tok, s, a.len);
        if (id < 0) {
            int64_t next = max_added < 0 ? vsize : (max_added >= vsize || vsize == 0) ? max_added + 1 : vsize;
            if (next >= INT32_MAX)
                return em__error("%s: %s: too many tokens", L->src, w);
            id = (int32_t)next;
        }
        a.id = id;
        if (id > max_added)
            max_added = id;
        a.content = malloc(a.len + 1);
        if (!a.content)
            return em__error("tokenizer: out of memory");
        memcpy(a.content, s, a.len);
        a.content[a.len] = '\0';
        if (k >= 0) { /* same text again: the later flags win */
            free(tok->added[k].content);
            tok->added[k] = a;
            continue;
        }
        if (tk_strmap_put(&tok->added_map, s, a.len, (int32_t)tok->n_added)) {
            free(a.content);
            return -1;
        }
        tok->added[tok->n_added++] = a;
    }
    /* id -> added token, for decode */
    int32_t lo = INT32_MAX, hi = -1;
    for (size_t i = 0; i < tok->n_added; i++) {
        if (tok->added[i].id < lo)
            lo = tok->added[i].id;
        if (tok->added[i].id > hi)
            hi = tok->added[i].id;
    }
    if (hi >= 0) {
        tok->added_lo = lo;
        tok->added_hi = hi;
        tok->added_by_id = malloc(((size_t)(hi - lo) + 1) * sizeof *tok->added_by_id);
        if (!tok->added_by_id)
            return em__error("tokenizer: out of memory");
        memset(tok->added_by_id, 0xFF, ((size_t)(hi - lo) + 1) * sizeof *tok->added_by_id);
        for (size_t i = 0; i < tok->n_added; i++)
            tok->added_by_id[tok->added[i].id - lo] = (int32_t)i;
    }
    /* the two matchers: special tokens first, as AddedVocabulary orders them */
    tok->trie_raw = tk_trie_new();
    tok->trie_norm = tk_trie_new();
    if (!tok->trie_raw || !tok->trie_norm)
        return -1;
    tk_ctx *c = tk_ctx_new();
    if (!c)
        return -1;
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (size_t i = 0; i < tok->n_added && !rc; i++) {
            tk_added *a = &tok->added[i];
            if (a->special != (pass == 0))
                continue;
            if (!a->normalized)
                rc = tk_trie_add(tok->trie_raw, a->content, a->len, (int32_t)i);
            else if (!tok->norm)
                rc = tk_trie_add(tok->trie_norm, a->content, a->len, (int32_t)i);
            else {
                c->tmp.n = 0;
                rc = tk_norm_apply(tok->norm, a->content, a->len, &c->tmp, c) ||
                     tk_trie_add(tok->trie_norm, c->tmp.p ? c->tmp.p : "", c->tmp.n, (int32_t)i);
            }
        }
    tk_ctx_free(c);
    return rc;
}

/* ---- special tokens named by tokenizer_config.json ---- */

static int32_t config_token(const em_tokenizer *tok, json_object *cfg, const char *key)
{
    json_object *v = tk_json_get(cfg, key);
    if (v && json_object_is_type(v, json_type_object))
        v = tk_json_get(v, "content");
    if (!v || !json_object_is_type(v, json_type_string))
        return -1;
    return lookup(tok, json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

static int32_t first_known(const em_tokenizer *tok, const char *const *names)
{
    for (; *names; names++) {
        int32_t id = lookup(tok, *names, strlen(*names));
        if (id >= 0)
            return id;
    }
    return -1;
}

static void find_specials(em_tokenizer *tok, json_object *cfg)
{
    static const char *const bos[] = {"<|begin_of_text|>", "<bos>", "<s>", "[CLS]", NULL};
    static const char *const eos[] = {"<|end_of_text|>", "<eos>", "</s>", "<|endoftext|>", "[SEP]", NULL};
    static const char *const pad[] = {"<pad>", "[PAD]", "<|pad|>", NULL};
    tok->bos = config_token(tok, cfg, "bos_token");
    tok->eos = config_token(tok, cfg, "eos_token");
    tok->pad = config_token(tok, cfg, "pad_token");
    tok->unk = config_token(tok, cfg, "unk_token");
    bool have_cfg = cfg != NULL;
    if (tok->bos < 0 && !(have_cfg && tk_json_get(cfg, "eos_token"))) {
        tok->bos = tk_post_first_special(tok->post);
        if (tok->bos < 0)
            tok->bos = first_known(tok, bos);
    }
    if (tok->eos < 0)
        tok->eos = first_known(tok, eos);
    if (tok->pad < 0)
        tok->pad = first_known(tok, pad);
    if (tok->unk < 0)
        tok->unk = tk_model_unk_id(tok->model);
}

/* ---- loading ---- */

static em_tokenizer *load_json(const char *src, const char *s, size_t n, json_object *cfg)
{
    tk_load L = {src};
    json_object *root = tk_parse_json(src, s, n);
    if (!root)
        return NULL;
    em_tokenizer *tok = calloc(1, sizeof *tok);
    int rc = tok ? 0 : em__error("tokenizer: out of memory");
    json_object *v;
    if (!rc && !json_object_is_type(root, json_type_object))
        rc = em__error("%s: a tokenizer.json must be a JSON object, not %s", src,
                       tk_json_type_name(root));
    if (!rc && !tk_json_get(root, "model"))
        rc = em__error("%s: the field 'model' is missing", src);
    if (!rc && !(tok->model = tk_model_from_json(&L, tk_json_get(root, "model"))))
        rc = -1;
    if (!rc && (v = tk_json_get(root, "normalizer")) && !(tok->norm = tk_norm_from_json(&L, v, "normalizer")))
        rc = -1;
    if (!rc && (v = tk_json_get(root, "pre_tokenizer")) &&
        !(tok->pretok = tk_pretok_from_json(&L, v, "pre_tokenizer")))
        rc = -1;
    if (!rc && (v = tk_json_get(root, "post_processor")) &&
        !(tok->post = tk_post_from_json(&L, v, "post_processor", tok)))
        rc = -1;
    if (!rc && (v = tk_json_get(root, "decoder")) && !(tok->dec = tk_dec_from_json(&L, v, "decoder")))
        rc = -1;
    if (!rc)
        rc = load_added(&L, tok, tk_json_get(root, "added_tokens"));
    /* truncation and padding are batching settings: encode leaves them to the caller */
    json_object_put(root);
    if (rc) {
        em_tokenizer_free(tok);
        return NULL;
    }
    find_specials(tok, cfg);
    return tok;
}

em_tokenizer *em_tokenizer_load_string(const char *json, size_t len)
{
    if (!json) {
        em__error("em_tokenizer_load_string: no text");
        return NULL;
    }
    return load_json("<string>", json, len, NULL);
}

em_tokenizer *em_tokenizer_load(const char *path)
{
    if (!path) {
        em__error("em_tokenizer_load: no path");
        return NULL;
    }
    tk_buf file = {0}, dir = {0};
    if (tk_is_dir(path)) {
        tk_buf_add(&dir, path, strlen(path));
        tk_buf_add(&file, path, strlen(path));
        tk_buf_add(&file, "/tokenizer.json", 15);
    } else {
        tk_buf_add(&file, path, strlen(path));
        const char *slash = strrchr(path, '/');
        if (slash)
            tk_buf_add(&dir, path, (size_t)(slash - path));
        else
            tk_buf_add(&dir, ".", 1);
    }
    tk_buf_nul(&file);
    tk_buf_add(&dir, "/tokenizer_config.json", 22);
    tk_buf_nul(&dir);
    em_tokenizer *tok = NULL;
    size_t n = 0;
    char *s = file.p ? tk_read_file(file.p, &n) : NULL;
    if (s) {
        /* the config only names special tokens: ignore it when unreadable */
        json_object *cfg = NULL;
        size_t cn = 0;
        FILE *probe = fopen(dir.p, "rb");
        if (probe) {
            fclose(probe);
            char *cs = tk_read_file(dir.p, &cn);
            if (cs)
                cfg = tk_parse_json(dir.p, cs, cn);
            free(cs);
            em_error_clear();
        }
        tok = load_json(file.p, s, n, cfg);
        json_object_put(cfg);
        free(s);
    }
    tk_buf_free(&file);
    tk_buf_free(&dir);
    return tok;
}

void em_tokenizer_free(em_tokenizer *tok)
{
    if (!tok)
        return;
    tk_model_free(tok->model);
    tk_norm_free(tok->norm);
    tk_pretok_free(tok->pretok);
    tk_post_free(tok->post);
    tk_dec_free(tok->dec);
    for (size_t i = 0; i < tok->n_added; i++)
        free(tok->added[i].content);
    free(tok->added);
    tk_strmap_free(&tok->added_map);
    free(tok->added_by_id);
    tk_trie_free(tok->trie_raw);
    tk_trie_free(tok->trie_norm);
    tk_ctx_free(tok->spare);
    free(tok);
}

/* ---- encode ---- */

static tk_ctx *take_ctx(em_tokenizer *tok)
{
    if (!__atomic_exchange_n(&tok->spare_lock, 1, __ATOMIC_ACQUIRE)) {
        if (!tok->spare)
            tok->spare = tk_ctx_new();
        if (tok->spare)
            return tok->spare;
        __atomic_store_n(&tok->spare_lock, 0, __ATOMIC_RELEASE);
        return NULL;
    }
    return tk_ctx_new();
}

static void give_ctx(em_tokenizer *tok, tk_ctx *c)
{
    if (c == tok->spare) {
        /* keep the scratch, but not a huge one from a huge input */
        if (c->text.cap > (16u << 20)) {
            tk_buf_free(&c->text);
            tk_buf_free(&c->tmp);
        }
        __atomic_store_n(&tok->spare_lock, 0, __ATOMIC_RELEASE);
    } else
        tk_ctx_free(c);
}

static int encode(const em_tokenizer *tok, tk_ctx *c, const char *text, size_t len, bool special)
{
    c->text.n = c->a.n = c->ids.n = 0;
    if (len > UINT32_MAX / 4)
        return em__error("em_tokenizer_encode: input too long (%zu bytes)", len);
    if (tk_buf_reserve(&c->text, len))
        return -1;
    tk_utf8_sanitize(text, len, &c->text);
    if (c->text.n > UINT32_MAX / 4)
        return em__error("em_tokenizer_encode: input too long (%zu bytes)", len);
    if (c->text.n && tk_pieces_push(&c->a, 0, (uint32_t)c->text.n, -1, true))
        return -1;
    if (tk_added_split(tok, c, false) || tk_added_split(tok, c, true))
        return -1;
    if (tok->pretok && tk_pretok_apply(tok->pretok, c))
        return -1;
    for (size_t i = 0; i < c->a.n; i++) {
        tk_piece x = c->a.v[i];
        int rc = x.id >= 0 ? tk_ids_push(&c->ids, x.id)
                           : tk_model_tokenize(tok->model, c, c->text.p + x.off, x.len);
        if (rc)
            return -1;
    }
    if (special && tok->post && tk_post_apply(tok->post, &c->ids))
        return -1;
    return 0;
}

int em_tokenizer_encode(const em_tokenizer *tok, const char *text, size_t len,
                        bool add_special_tokens, int32_t **ids, size_t *n_ids)
{
    if (!tok || (!text && len) || !ids || !n_ids)
        return em__error("em_tokenizer_encode: NULL argument");
    *ids = NULL;
    *n_ids = 0;
    tk_ctx *c = take_ctx((em_tokenizer *)tok);
    if (!c)
        return -1;
    int rc = encode(tok, c, text ? text : "", len, add_special_tokens);
    if (!rc && c->ids.n) {
        *ids = malloc(c->ids.n * sizeof **ids);
        if (!*ids)
            rc = em__error("tokenizer: out of memory");
        else {
            memcpy(*ids, c->ids.v, c->ids.n * sizeof **ids);
            *n_ids = c->ids.n;
        }
    }
    give_ctx((em_tokenizer *)tok, c);
    return rc;
}

/* ---- vocabulary ---- */

static const tk_added *added_of(const em_tokenizer *tok, int32_t id)
{
    if (!tok->added_by_id || id < tok->added_lo || id > tok->added_hi)
        return NULL;
    int32_t k = tok->added_by_id[id - tok->added_lo];
    return k >= 0 ? &tok->added[k] : NULL;
}

size_t em_tokenizer_vocab_size(const em_tokenizer *tok)
{
    if (!tok)
        return 0;
    size_t n = tk_model_vocab_size(tok->model);
    for (size_t i = 0; i < tok->n_added; i++)
        if (!tk_model_id_to_token(tok->model, tok->added[i].id, &(size_t){0}))
            n++;
    return n;
}

int32_t em_tokenizer_token_to_id(const em_tokenizer *tok, const char *token)
{
    if (!tok || !token)
        return -1;
    return lookup(tok, token, strlen(token));
}

const char *em_tokenizer_id_to_token(const em_tokenizer *tok, int32_t id)
{
    if (!tok)
        return NULL;
    const tk_added *a = added_of(tok, id);
    if (a)
        return a->content;
    size_t len;
    return tk_model_id_to_token(tok->model, id, &len);
}

bool em_tokenizer_is_special(const em_tokenizer *tok, int32_t id)
{
    if (!tok)
        return false;
    const tk_added *a = added_of(tok, id);
    if (a)
        return a->special;
    /* a vocabulary token spelled like a special added token */
    size_t len;
    const char *s = tk_model_id_to_token(tok->model, id, &len);
    int32_t k = s ? tk_strmap_get(&tok->added_map, s, len) : -1;
    return k >= 0 && tok->added[k].special;
}

int32_t em_tokenizer_bos_id(const em_tokenizer *tok) { return tok ? tok->bos : -1; }
int32_t em_tokenizer_eos_id(const em_tokenizer *tok) { return tok ? tok->eos : -1; }
int32_t em_tokenizer_pad_id(const em_tokenizer *tok) { return tok ? tok->pad : -1; }
int32_t em_tokenizer_unk_id(const em_tokenizer *tok) { return tok ? tok->unk : -1; }

/* ---- decode ---- */

char *em_tokenizer_decode(const em_tokenizer *tok, const int32_t *ids, size_t n,
                          bool skip_special_tokens, size_t *out_len)
{
    if (!tok || (!ids && n)) {
        em__error("em_tokenizer_decode: NULL argument");
        return NULL;
    }
    tk_str *toks = calloc(n ? n : 1, sizeof *toks);
    size_t nt = 0, cap = n ? n : 1;
    tk_ctx *c = tk_ctx_new();
    int rc = toks && c ? 0 : em__error("tokenizer: out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        const tk_added *a = added_of(tok, ids[i]);
        const char *s;
        size_t len;
        if (a) {
            s = a->content;
            len = a->len;
        } else if (!(s = tk_model_id_to_token(tok->model, ids[i], &len)))
            continue;
        if (skip_special_tokens && em_tokenizer_is_special(tok, ids[i]))
            continue;
        toks[nt].s = malloc(len + 1);
        if (!toks[nt].s) {
            rc = em__error("tokenizer: out of memory");
            break;
        }
        memcpy(toks[nt].s, s, len);
        toks[nt].s[len] = '\0';
        toks[nt++].n = len;
    }
    if (!rc && tok->dec && tk_dec_chain(tok->dec, &toks, &nt, &cap, c) < 0)
        rc = -1;
    tk_buf out = {0};
    for (size_t i = 0; i < nt && !rc; i++) {
        if (!tok->dec && i && tk_buf_addc(&out, ' '))
            rc = -1;
        if (!rc)
            rc = tk_buf_add(&out, toks[i].s, toks[i].n);
    }
    if (!rc)
        rc = tk_buf_nul(&out);
    for (size_t i = 0; i < nt; i++)
        free(toks[i].s);
    free(toks);
    tk_ctx_free(c);
    if (rc) {
        tk_buf_free(&out);
        return NULL;
    }
    if (out_len)
        *out_len = out.n;
    return out.p;
}
