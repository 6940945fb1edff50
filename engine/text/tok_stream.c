/* Streaming decode: each step decodes a short window of ids (the last
 * emitted token as context, so decoders that look at neighbours agree) and
 * emits what grew, unless it ends in U+FFFD, a character still incomplete. */
#include "tok.h"

#include <stdlib.h>
#include <string.h>

struct em_tokenizer_stream {
    const em_tokenizer *tok;
    bool skip;
    tk_ids ids;
    char *prefix; /* decode of ids[0 .. prefix_index) */
    size_t prefix_len, prefix_index;
    tk_buf out;
};

em_tokenizer_stream *em_tokenizer_stream_new(const em_tokenizer *tok, bool skip_special_tokens)
{
    if (!tok) {
        em__error("em_tokenizer_stream_new: NULL tokenizer");
        return NULL;
    }
    em_tokenizer_stream *s = calloc(1, sizeof *s);
    if (!s) {
        em__error("tokenizer: out of memory");
        return NULL;
    }
    s->tok = tok;
    s->skip = skip_special_tokens;
    return s;
}

static bool ends_incomplete(const char *s, size_t n)
{
    return n >= 3 && !memcmp(s + n - 3, "\xEF\xBF\xBD", 3);
}

const char *em_tokenizer_stream_step(em_tokenizer_stream *s, int32_t id, size_t *len)
{
    if (!s)
        return NULL;
    size_t n;
    if (s->prefix_len == 0 && s->ids.n) {
        char *p = em_tokenizer_decode(s->tok, s->ids.v, s->ids.n, s->skip, &n);
        if (!p)
            return NULL;
        if (!ends_incomplete(p, n)) {
            free(s->prefix);
            s->prefix = p;
            s->prefix_len = n;
            s->prefix_index = s->ids.n;
        } else
            free(p);
    }
    if (tk_ids_push(&s->ids, id))
        return NULL;
    char *str = em_tokenizer_decode(s->tok, s->ids.v, s->ids.n, s->skip, &n);
    if (!str)
        return NULL;
    s->out.n = 0;
    if (n > s->prefix_len && !ends_incomplete(str, n)) {
        /* a decoder may rewrite the context; then only the growth is new */
        size_t keep = s->prefix_len;
        if (tk_buf_add(&s->out, str + keep, n - keep)) {
            free(str);
            return NULL;
        }
        size_t new_index = s->ids.n - s->prefix_index;
        memmove(s->ids.v, s->ids.v + s->prefix_index, (s->ids.n - s->prefix_index) * sizeof *s->ids.v);
        s->ids.n -= s->prefix_index;
        free(s->prefix);
        s->prefix = em_tokenizer_decode(s->tok, s->ids.v, s->ids.n, s->skip, &s->prefix_len);
        if (!s->prefix) {
            free(str);
            return NULL;
        }
        s->prefix_index = new_index;
    }
    free(str);
    if (tk_buf_nul(&s->out))
        return NULL;
    if (len)
        *len = s->out.n;
    return s->out.p;
}

const char *em_tokenizer_stream_flush(em_tokenizer_stream *s, size_t *len)
{
    if (!s)
        return NULL;
    size_t n;
    char *str = em_tokenizer_decode(s->tok, s->ids.v, s->ids.n, s->skip, &n);
    if (!str)
        return NULL;
    s->out.n = 0;
    if (n > s->prefix_len && tk_buf_add(&s->out, str + s->prefix_len, n - s->prefix_len)) {
        free(str);
        return NULL;
    }
    free(str);
    s->ids.n = 0;
    free(s->prefix);
    s->prefix = NULL;
    s->prefix_len = s->prefix_index = 0;
    if (tk_buf_nul(&s->out))
        return NULL;
    if (len)
        *len = s->out.n;
    return s->out.p;
}

void em_tokenizer_stream_free(em_tokenizer_stream *s)
{
    if (!s)
        return;
    tk_ids_free(&s->ids);
    free(s->prefix);
    tk_buf_free(&s->out);
    free(s);
}
