/* safetensors: an 8-byte little-endian header length, a JSON header (name ->
 * {dtype, shape, data_offsets}, plus "__metadata__"), then the tensor bytes.
 * Loading maps the file and wraps tensors without copying; saving is atomic. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array_internal.h"
#include "atomic_file.h"
#include "ember/io.h"
#include "ember/ops.h"

#define MAX_HEADER (100u << 20) /* as the reference implementation */

/* The mapping shared by the handle and every array wrapping it. */
typedef struct st_map {
    atomic_int refs;
    void *addr;
    size_t len;
} st_map;

static void map_unref(st_map *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1) {
        munmap(m->addr, m->len);
        free(m);
    }
}

static void map_release_cb(void *data, void *ctx) { map_unref(ctx); }

typedef struct st_entry {
    char *name;
    char dtype_str[12];
    int dtype; /* em_dtype or -1 */
    int ndim;
    int order; /* position in the header, to keep equal offsets stable */
    int64_t shape[EM_MAX_DIMS];
    uint64_t begin, end;
} st_entry;

typedef struct name_idx {
    const char *name;
    int idx;
} name_idx;

struct em_safetensors {
    char *path;
    st_map *map;          /* NULL when opened header-only */
    uint64_t data_start;  /* 8 + header length */
    uint64_t file_size;
    int n;
    st_entry *e;
    name_idx *by_name; /* sorted by name, for em_safetensors_find */
    int n_meta;
    char **meta_k, **meta_v;
};

static const struct {
    const char *name;
    int dtype;
    int size;
} st_dtypes[] = {
    {"BOOL", EM_BOOL, 1},     {"U8", EM_UINT8, 1},     {"I8", EM_INT8, 1},
    {"U16", EM_UINT16, 2},    {"I16", EM_INT16, 2},    {"U32", EM_UINT32, 4},
    {"I32", EM_INT32, 4},     {"U64", EM_UINT64, 8},   {"I64", EM_INT64, 8},
    {"F16", EM_FLOAT16, 2},   {"BF16", EM_BFLOAT16, 2}, {"F32", EM_FLOAT32, 4},
    {"F64", EM_FLOAT64, 8},
    /* listed, not loadable */
    {"F8_E4M3", -1, 1},       {"F8_E5M2", -1, 1},      {"F8_E8M0", -1, 1},
    {"C64", -1, 8},
};

static void st_free(em_safetensors *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->n; i++)
        free(st->e[i].name);
    free(st->e);
    free(st->by_name);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->meta_k[i]);
        free(st->meta_v[i]);
    }
    free(st->meta_k);
    free(st->meta_v);
    map_unref(st->map);
    free(st->path);
    free(st);
}

void em_safetensors_close(em_safetensors *st) { st_free(st); }

/* ---- duplicate keys: json-c keeps the last one silently, so count the keys
 * of the top-level object in the (already validated) text. */
typedef struct {
    const char *p;
    size_t n;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return memcmp(x->p, y->p, x->n);
}

static int check_duplicates(const char *path, const char *h, size_t len, int n_keys)
{
    span *keys = malloc(sizeof *keys * (size_t)(n_keys + 1));
    if (!keys)
        return em__error("out of memory");
    int depth = 0, count = 0, rc = 0;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == '"') {
            size_t s = ++i;
            while (i < len && h[i] != '"')
                i += h[i] == '\\' ? 2 : 1;
            size_t e = i < len ? i : len;
            if (depth == 1) {
                size_t j = i + 1;
                while (j < len && (h[j] == ' ' || h[j] == '\t' || h[j] == '\n' || h[j] == '\r'))
                    j++;
                if (j < len && h[j] == ':') {
                    if (count < n_keys + 1)
                        keys[count] = (span){h + s, e - s};
                    count++;
                }
            }
        }
    }
    if (count != n_keys) {
        int m = count < n_keys + 1 ? count : n_keys + 1;
        qsort(keys, m, sizeof *keys, span_cmp);
        for (int i = 1; i < m && rc == 0; i++)
            if (!span_cmp(&keys[i - 1], &keys[i]))
                rc = em__error("%s: the header names '%.*s' twice", path, (int)(keys[i].n > 200 ? 200 : keys[i].n),
                               keys[i].p);
        if (rc == 0)
            rc = em__error("%s: the header has duplicate keys", path);
    }
    free(keys);
    return rc;
}

static int get_u64(json_object *v, uint64_t *out)
{
    if (!json_object_is_type(v, json_type_int))
        return -1;
    errno = 0;
    int64_t x = json_object_get_int64(v);
    if (x < 0)
        return -1;
    if (x == INT64_MAX) {
        uint64_t u = json_object_get_uint64(v);
        *out = u;
        return 0;
    }
    *out = (uint64_t)x;
    return 0;
}

static int entry_cmp(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->order - y->order;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const name_idx *)a)->name, ((const name_idx *)b)->name);
}

static int parse_entry(em_safetensors *st, const char *name, json_object *v, st_entry *e)
{
    const char *P = st->path;
    if (!json_object_is_type(v, json_type_object))
        return em__error("%s: tensor '%s': entry is not a JSON object", P, name);
    json_object *jd, *js, *jo;
    if (!json_object_object_get_ex(v, "dtype", &jd))
        return em__error("%s: tensor '%s' has no dtype", P, name);
    if (!json_object_object_get_ex(v, "shape", &js))
        return em__error("%s: tensor '%s' has no shape", P, name);
    if (!json_object_object_get_ex(v, "data_offsets", &jo))
        return em__error("%s: tensor '%s' has no data_offsets", P, name);
    if (json_object_object_length(v) != 3)
        return em__error("%s: tensor '%s' has keys other than dtype, shape and data_offsets", P, name);
    if (!json_object_is_type(jd, json_type_string))
        return em__error("%s: tensor '%s': dtype is not a string", P, name);
    const char *ds = json_object_get_string(jd);
    int size = 0;
    for (size_t k = 0; k < sizeof st_dtypes / sizeof *st_dtypes; k++)
        if (!strcmp(ds, st_dtypes[k].name)) {
            e->dtype = st_dtypes[k].dtype;
            size = st_dtypes[k].size;
            strcpy(e->dtype_str, st_dtypes[k].name);
        }
    if (!size)
        return em__error("%s: tensor '%s' has unknown dtype '%.40s'", P, name, ds);
    if (!json_object_is_type(js, json_type_array))
        return em__error("%s: tensor '%s': shape is not an array", P, name);
    size_t nd = json_object_array_length(js);
    if (nd > EM_MAX_DIMS)
        return em__error("%s: tensor '%s' has %zu dimensions (at most %d)", P, name, nd, EM_MAX_DIMS);
    uint64_t count = 1;
    bool overflow = false, zero = false;
    for (size_t k = 0; k < nd; k++) {
        uint64_t d;
        if (get_u64(json_object_array_get_idx(js, k), &d) < 0 || d > INT64_MAX)
            return em__error("%s: tensor '%s': shape holds something other than a non-negative integer", P,
                             name);
        e->shape[k] = (int64_t)d;
        if (d == 0)
            zero = true;
        else if (count > UINT64_MAX / d)
            overflow = true;
        else
            count *= d;
    }
    e->ndim = (int)nd;
    if (zero)
        overflow = false, count = 0;
    if (overflow || count > (uint64_t)INT64_MAX / (uint64_t)size)
        return em__error("%s: tensor '%s': the shape's size overflows", P, name);
    if (!json_object_is_type(jo, json_type_array) || json_object_array_length(jo) != 2 ||
        get_u64(json_object_array_get_idx(jo, 0), &e->begin) < 0 ||
        get_u64(json_object_array_get_idx(jo, 1), &e->end) < 0)
        return em__error("%s: tensor '%s': data_offsets is not a pair of non-negative integers", P, name);
    if (e->begin > e->end)
        return em__error("%s: tensor '%s': data_offsets begin %" PRIu64 " is past end %" PRIu64, P, name,
                         e->begin, e->end);
    uint64_t avail = st->file_size - st->data_start;
    if (e->end > avail)
        return em__error("%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
                         "] run past the end of the data (%" PRIu64 " bytes)",
                         P, name, e->begin, e->end, avail);
    if (e->end - e->begin != count * (uint64_t)size)
        return em__error("%s: tensor '%s': data_offsets cover %" PRIu64 " bytes, the shape and dtype %s need %" PRIu64,
                         P, name, e->end - e->begin, ds, count * (uint64_t)size);
    return 0;
}

static int parse_header(em_safetensors *st, const char *h, size_t hlen)
{
    const char *P = st->path;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return em__error("out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *root = json_tokener_parse_ex(tok, h, (int)hlen);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        if (jerr == json_tokener_continue)
            return em__error("%s: the header ends in the middle of its JSON", P);
        return em__error("%s: the header is not valid JSON (%s)", P, json_tokener_error_desc(jerr));
    }
    for (size_t i = end; i < hlen; i++)
        if (h[i] != ' ' && h[i] != '\n' && h[i] != '\r' && h[i] != '\t') {
            json_object_put(root);
            return em__error("%s: the header has trailing bytes after its JSON", P);
        }
    int rc = 0;
    if (!json_object_is_type(root, json_type_object)) {
        rc = em__error("%s: the header is not a JSON object", P);
        goto out;
    }
    int nk = json_object_object_length(root);
    if ((rc = check_duplicates(P, h, end, nk)) < 0)
        goto out;
    st->e = calloc(nk ? nk : 1, sizeof *st->e);
    if (!st->e) {
        rc = em__error("out of memory");
        goto out;
    }
    json_object_object_foreach(root, key, val)
    {
        if (!strcmp(key, "__metadata__")) {
            if (!json_object_is_type(val, json_type_object)) {
                rc = em__error("%s: __metadata__ is not a JSON object", P);
                goto out;
            }
            int nm = json_object_object_length(val);
            st->meta_k = calloc(nm ? nm : 1, sizeof(char *));
            st->meta_v = calloc(nm ? nm : 1, sizeof(char *));
            if (!st->meta_k || !st->meta_v) {
                rc = em__error("out of memory");
                goto out;
            }
            json_object_object_foreach(val, mk, mv)
            {
                if (!json_object_is_type(mv, json_type_string)) {
                    rc = em__error("%s: __metadata__ value for '%s' is not a string", P, mk);
                    goto out;
                }
                st->meta_k[st->n_meta] = strdup(mk);
                st->meta_v[st->n_meta] = strdup(json_object_get_string(mv));
                st->n_meta++;
                if (!st->meta_k[st->n_meta - 1] || !st->meta_v[st->n_meta - 1]) {
                    rc = em__error("out of memory");
                    goto out;
                }
            }
            continue;
        }
        st_entry *e = &st->e[st->n];
        if ((rc = parse_entry(st, key, val, e)) < 0)
            goto out;
        e->order = st->n;
        if (!(e->name = strdup(key))) {
            rc = em__error("out of memory");
            goto out;
        }
        st->n++;
    }
    qsort(st->e, st->n, sizeof *st->e, entry_cmp);
    for (int i = 1; i < st->n; i++)
        if (st->e[i].begin < st->e[i - 1].end) {
            rc = em__error("%s: tensors '%s' and '%s' overlap in the file", P, st->e[i - 1].name, st->e[i].name);
            goto out;
        }
    st->by_name = malloc(sizeof *st->by_name * (st->n ? st->n : 1));
    if (!st->by_name) {
        rc = em__error("out of memory");
        goto out;
    }
    for (int i = 0; i < st->n; i++)
        st->by_name[i] = (name_idx){st->e[i].name, i};
    qsort(st->by_name, st->n, sizeof *st->by_name, name_cmp);
out:
    json_object_put(root);
    return rc;
}

static em_safetensors *open_impl(const char *path, bool map)
{
    em_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        em__error("out of memory");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        em__error("cannot open %s: %s", path, strerror(errno));
        st_free(st);
        return NULL;
    }
    struct stat sb;
    unsigned char lenbuf[8];
    char *h = NULL;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        em__error("%s: not a regular file", path);
        goto fail;
    }
    st->file_size = (uint64_t)sb.st_size;
    if (st->file_size < 8) {
        em__error("%s: not a safetensors file (%" PRIu64 " bytes, shorter than the 8-byte header length)", path,
                  st->file_size);
        goto fail;
    }
    if (pread(fd, lenbuf, 8, 0) != 8) {
        em__error("cannot read %s: %s", path, strerror(errno));
        goto fail;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | lenbuf[i];
    if (hlen > MAX_HEADER) {
        em__error("%s: header length %" PRIu64 " is too large (at most %u bytes)", path, hlen, MAX_HEADER);
        goto fail;
    }
    if (hlen > st->file_size - 8) {
        em__error("%s: header length %" PRIu64 " runs past the end of the file (%" PRIu64 " bytes)", path, hlen,
                  st->file_size);
        goto fail;
    }
    if (hlen < 2) {
        em__error("%s: header of %" PRIu64 " bytes is too short to be a JSON object", path, hlen);
        goto fail;
    }
    st->data_start = 8 + hlen;
    if (map) {
        st->map = malloc(sizeof *st->map);
        if (!st->map) {
            em__error("out of memory");
            goto fail;
        }
        atomic_init(&st->map->refs, 1);
        st->map->len = (size_t)st->file_size;
        st->map->addr = mmap(NULL, st->map->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (st->map->addr == MAP_FAILED) {
            free(st->map);
            st->map = NULL;
            em__error("cannot map %s: %s", path, strerror(errno));
            goto fail;
        }
        h = (char *)st->map->addr + 8;
    } else {
        h = malloc(hlen);
        if (!h) {
            em__error("out of memory");
            goto fail;
        }
        size_t got = 0;
        while (got < hlen) {
            ssize_t k = pread(fd, h + got, hlen - got, 8 + got);
            if (k <= 0) {
                em__error("cannot read %s: %s", path, k < 0 ? strerror(errno) : "unexpected end of file");
                free(h);
                goto fail;
            }
            got += (size_t)k;
        }
    }
    close(fd);
    fd = -1;
    int rc = parse_header(st, h, hlen);
    if (!map)
        free(h);
    if (rc < 0) {
        st_free(st);
        return NULL;
    }
    return st;
fail:
    if (fd >= 0)
        close(fd);
    st_free(st);
    return NULL;
}

em_safetensors *em_safetensors_open(const char *path)
{
    if (!path) {
        em__error("safetensors: no path given");
        return NULL;
    }
    return open_impl(path, true);
}

em_safetensors *em_safetensors_open_header(const char *path)
{
    if (!path) {
        em__error("safetensors: no path given");
        return NULL;
    }
    return open_impl(path, false);
}

static const st_entry *entry(const em_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n ? &st->e[i] : NULL;
}

int em_safetensors_count(const em_safetensors *st) { return st ? st->n : 0; }

int em_safetensors_find(const em_safetensors *st, const char *name)
{
    if (!st || !name)
        return -1;
    if (!st->by_name)
        return -1;
    name_idx key = {name, 0};
    const name_idx *r = bsearch(&key, st->by_name, st->n, sizeof key, name_cmp);
    return r ? r->idx : -1;
}

const char *em_safetensors_name(const em_safetensors *st, int i)
{
    const st_entry *e = entry(st, i);
    return e ? e->name : NULL;
}

const char *em_safetensors_dtype_string(const em_safetensors *st, int i)
{
    const st_entry *e = entry(st, i);
    return e ? e->dtype_str : NULL;
}

int em_safetensors_dtype(const em_safetensors *st, int i)
{
    const st_entry *e = entry(st, i);
    return e ? e->dtype : -1;
}

int em_safetensors_ndim(const em_safetensors *st, int i)
{
    const st_entry *e = entry(st, i);
    return e ? e->ndim : -1;
}

const int64_t *em_safetensors_shape(const em_safetensors *st, int i)
{
    const st_entry *e = entry(st, i);
    return e ? e->shape : NULL;
}

void em_safetensors_data_offsets(const em_safetensors *st, int i, uint64_t *begin, uint64_t *end)
{
    const st_entry *e = entry(st, i);
    if (begin)
        *begin = e ? e->begin : 0;
    if (end)
        *end = e ? e->end : 0;
}

int em_safetensors_metadata_count(const em_safetensors *st) { return st ? st->n_meta : 0; }

const char *em_safetensors_metadata_key(const em_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n_meta ? st->meta_k[i] : NULL;
}

const char *em_safetensors_metadata_value(const em_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n_meta ? st->meta_v[i] : NULL;
}

const char *em_safetensors_metadata(const em_safetensors *st, const char *key)
{
    if (!st || !key)
        return NULL;
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_k[i], key))
            return st->meta_v[i];
    return NULL;
}

em_array *em_safetensors_get_index(em_safetensors *st, int i)
{
    const st_entry *e = entry(st, i);
    if (!e) {
        em__error("safetensors: tensor index %d out of range", i);
        return NULL;
    }
    if (e->dtype < 0) {
        em__error("%s: tensor '%s' has dtype %s, which Ember cannot load", st->path, e->name, e->dtype_str);
        return NULL;
    }
    if (!st->map) {
        em__error("%s: opened header-only; cannot read tensor '%s'", st->path, e->name);
        return NULL;
    }
    em_dtype t = (em_dtype)e->dtype;
    size_t nbytes = (size_t)(e->end - e->begin);
    unsigned char *p = (unsigned char *)st->map->addr + st->data_start + e->begin;
    bool copy = ((uintptr_t)p % em_dtype_size(t)) != 0 || nbytes == 0;
    if (t == EM_BOOL) /* bytes other than 0/1 are not valid C bools: normalise a copy */
        for (size_t k = 0; k < nbytes && !copy; k++)
            copy = p[k] > 1;
    if (!copy) {
        atomic_fetch_add(&st->map->refs, 1);
        em_array *a = em_array_from_buffer(p, e->ndim, e->shape, t, map_release_cb, st->map);
        if (!a)
            map_unref(st->map);
        return a;
    }
    if (t != EM_BOOL || nbytes == 0)
        return em_array_from_data(p, e->ndim, e->shape, t);
    unsigned char *tmp = malloc(nbytes);
    if (!tmp) {
        em__error("out of memory");
        return NULL;
    }
    for (size_t k = 0; k < nbytes; k++)
        tmp[k] = p[k] != 0;
    em_array *a = em_array_from_data(tmp, e->ndim, e->shape, t);
    free(tmp);
    return a;
}

em_array *em_safetensors_get(em_safetensors *st, const char *name)
{
    if (!st || !name) {
        em__error("safetensors: no file or name given");
        return NULL;
    }
    int i = em_safetensors_find(st, name);
    if (i < 0) {
        em__error("%s: no tensor named '%s'", st->path, name);
        return NULL;
    }
    return em_safetensors_get_index(st, i);
}

/* ---- saving ---- */
int em_save_safetensors(const char *path, const char *const *names, em_array *const *arrays, int n,
                        const char *const *meta_keys, const char *const *meta_values, int n_meta)
{
    if (!path || n < 0 || n_meta < 0 || (n && (!names || !arrays)) || (n_meta && (!meta_keys || !meta_values)))
        return em__error("save_safetensors: bad arguments");
    for (int i = 0; i < n; i++) {
        if (!arrays[i])
            return -1;
        if (!names[i])
            return em__error("save_safetensors: tensor %d has no name", i);
        if (!strcmp(names[i], "__metadata__"))
            return em__error("save_safetensors: '__metadata__' cannot name a tensor");
        for (int j = 0; j < i; j++)
            if (!strcmp(names[i], names[j]))
                return em__error("save_safetensors: the name '%s' is given twice", names[i]);
    }
    for (int i = 0; i < n_meta; i++) {
        if (!meta_keys[i] || !meta_values[i])
            return em__error("save_safetensors: metadata entry %d is NULL", i);
        for (int j = 0; j < i; j++)
            if (!strcmp(meta_keys[i], meta_keys[j]))
                return em__error("save_safetensors: the metadata key '%s' is given twice", meta_keys[i]);
    }
    if (n && em_eval_many(arrays, n) < 0)
        return -1;

    json_object *root = json_object_new_object();
    if (!root)
        return em__error("out of memory");
    int rc = 0;
    if (n_meta) {
        json_object *m = json_object_new_object();
        json_object_object_add(root, "__metadata__", m);
        for (int i = 0; i < n_meta; i++)
            json_object_object_add(m, meta_keys[i], json_object_new_string(meta_values[i]));
    }
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        em_array *a = arrays[i];
        json_object *t = json_object_new_object(), *sh = json_object_new_array(), *o = json_object_new_array();
        json_object_object_add(t, "dtype", json_object_new_string(em_dtype_safetensors_name((em_dtype)a->dtype)));
        for (int d = 0; d < a->ndim; d++)
            json_object_array_add(sh, json_object_new_int64(a->shape[d]));
        json_object_object_add(t, "shape", sh);
        uint64_t nb = em_array_nbytes(a);
        json_object_array_add(o, json_object_new_uint64(off));
        json_object_array_add(o, json_object_new_uint64(off + nb));
        off += nb;
        json_object_object_add(t, "data_offsets", o);
        json_object_object_add(root, names[i], t);
    }
    const char *js = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t jl = strlen(js);
    size_t hl = (jl + 7) / 8 * 8;
    unsigned char lenbuf[8];
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    em_atomic_file af;
    if (em__atomic_open(&af, path) < 0) {
        json_object_put(root);
        return -1;
    }
    int ok = fwrite(lenbuf, 1, 8, af.f) == 8 && fwrite(js, 1, jl, af.f) == jl;
    for (size_t k = jl; k < hl && ok; k++)
        ok = fputc(' ', af.f) != EOF;
    json_object_put(root);
    for (int i = 0; i < n && ok; i++) {
        em__internal_begin();
        em_array *c = em_contiguous(arrays[i]);
        const void *d = c ? em_array_data(c) : NULL;
        size_t nb = em_array_nbytes(arrays[i]);
        if (!c || (!d && nb))
            ok = 0, rc = -1;
        else if (nb)
            ok = fwrite(d, 1, nb, af.f) == nb;
        em_release(c);
        em__internal_end(NULL);
    }
    if (!ok && rc == 0 && !em_error_pending())
        em__error("cannot write %s: %s", path, strerror(errno));
    int crc = em__atomic_close(&af, ok);
    return ok ? crc : -1;
}
