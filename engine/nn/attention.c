/* Multi-head attention and transformer blocks (MLX's layouts and names). */
#include <math.h>

#include "nn_internal.h"

static em_array *call(em_module *m, const char *child, const em_tree *p, em_array *x)
{
    return em_module_call(em_module_child(m, child), p, x);
}

static em_array *split_heads(em_array *x, int heads)
{
    const int64_t *s = em_array_shape(x);
    int64_t shape[4] = {s[0], s[1], heads, s[2] / heads};
    return em_transpose(em_reshape(x, 4, shape), (int[]){0, 2, 1, 3});
}

static em_array *mha_fwd(em_module *m, const em_tree *p, em_array *const *in, int n)
{
    char d1[96], d2[96], d3[96];
    if (n < 3 || !in[1] || !in[2]) {
        em__error("MultiHeadAttention '%s': needs queries, keys and values", m->name);
        return NULL;
    }
    int64_t dims = m->i[0];
    int heads = (int)m->i[1];
    for (int k = 0; k < 3; k++)
        if (em_array_ndim(in[k]) != 3 || em_array_dim(in[k], -1) != (k ? m->i[2 + k - 1] : dims) ||
            em_array_dim(in[k], 0) != em_array_dim(in[0], 0) ||
            (k == 2 && em_array_dim(in[2], 1) != em_array_dim(in[1], 1))) {
            em__error("MultiHeadAttention '%s': queries %s, keys %s, values %s do not fit "
                      "(N, L, %lld)",
                      m->name, em__describe(in[0], d1, sizeof d1),
                      em__describe(in[1], d2, sizeof d2), em__describe(in[2], d3, sizeof d3),
                      (long long)dims);
            return NULL;
        }
    em_array *mask = n > 3 ? in[3] : NULL;
    em_scope *s = em_scope_begin();
    em_array *q = split_heads(call(m, "query_proj", p, in[0]), heads);
    em_array *k = split_heads(call(m, "key_proj", p, in[1]), heads);
    em_array *v = split_heads(call(m, "value_proj", p, in[2]), heads);
    em_array *o = q && k && v ? em_scaled_dot_product_attention(
                                    q, k, v, 1.0 / sqrt((double)(dims / heads)), mask, false)
                              : NULL;
    o = em_transpose(o, (int[]){0, 2, 1, 3});
    int64_t L = em_array_dim(in[0], 1);
    o = em_reshape(o, 3, (int64_t[]){em_array_dim(in[0], 0), L, dims});
    return em__composite_end(s, call(m, "out_proj", p, o));
}

em_module *em_nn_multi_head_attention(em_module *parent, const char *name, int64_t dims,
                                      int heads, bool bias)
{
    if (dims <= 0 || heads <= 0 || dims % heads) {
        em__error("MultiHeadAttention: %d heads do not divide %lld dims", heads, (long long)dims);
        return NULL;
    }
    em_module *m = em__module_make(parent, name, "MultiHeadAttention", mha_fwd);
    if (!m)
        return NULL;
    m->i[0] = dims;
    m->i[1] = heads;
    m->i[2] = dims; /* key and value input dims */
    m->i[3] = dims;
    if (!em_nn_linear(m, "query_proj", dims, dims, bias) ||
        !em_nn_linear(m, "key_proj", dims, dims, bias) ||
        !em_nn_linear(m, "value_proj", dims, dims, bias) ||
        !em_nn_linear(m, "out_proj", dims, dims, bias))
        return NULL;
    return m;
}

/* ---- transformer blocks ---- */
static em_array *mlp(em_module *m, const em_tree *p, em_array *x)
{
    em_scope *s = em_scope_begin();
    em_array *y = call(m, "linear1", p, x);
    y = em_activate(y, (em_activation)m->i[3], 0);
    y = call(m, "dropout2", p, y);
    y = call(m, "linear2", p, y);
    return em__composite_end(s, y);
}

static em_array *attend(em_module *m, const char *child, const em_tree *p, em_array *q,
                        em_array *kv, em_array *mask)
{
    em_array *in[4] = {q, kv, kv, mask};
    return em_module_call_n(em_module_child(m, child), p, in, 4);
}

static em_array *encoder_fwd(em_module *m, const em_tree *p, em_array *const *in, int n)
{
    em_array *x = in[0], *mask = n > 1 ? in[1] : NULL;
    em_scope *s = em_scope_begin();
    em_array *y;
    if (m->i[4]) {
        y = call(m, "ln1", p, x);
        y = attend(m, "attention", p, y, y, mask);
        x = em_add(x, call(m, "dropout1", p, y));
        y = em_add(x, mlp(m, p, call(m, "ln2", p, x)));
    } else {
        y = attend(m, "attention", p, x, x, mask);
        x = call(m, "ln1", p, em_add(x, call(m, "dropout1", p, y)));
        y = call(m, "ln2", p, em_add(x, mlp(m, p, x)));
    }
    return em__composite_end(s, y);
}

static em_array *decoder_fwd(em_module *m, const em_tree *p, em_array *const *in, int n)
{
    if (n < 2 || !in[1]) {
        em__error("TransformerDecoderLayer '%s': needs x and memory", m->name);
        return NULL;
    }
    em_array *x = in[0], *mem = in[1], *x_mask = n > 2 ? in[2] : NULL,
             *mem_mask = n > 3 ? in[3] : NULL;
    em_scope *s = em_scope_begin();
    em_array *y;
    if (m->i[4]) {
        y = call(m, "ln1", p, x);
        y = attend(m, "self_attention", p, y, y, x_mask);
        x = em_add(x, call(m, "dropout1", p, y));
        y = call(m, "ln2", p, x);
        y = attend(m, "cross_attention", p, y, mem, mem_mask);
        x = em_add(x, call(m, "dropout3", p, y));
        y = em_add(x, mlp(m, p, call(m, "ln3", p, x)));
    } else {
        y = attend(m, "self_attention", p, x, x, x_mask);
        x = call(m, "ln1", p, em_add(x, call(m, "dropout1", p, y)));
        y = attend(m, "cross_attention", p, x, mem, mem_mask);
        x = call(m, "ln2", p, em_add(x, call(m, "dropout3", p, y)));
        y = call(m, "ln3", p, em_add(x, mlp(m, p, x)));
    }
    return em__composite_end(s, y);
}

static em_module *block(em_module *parent, const char *name, int64_t dims, int heads,
                        int64_t mlp_dims, double dropout, em_activation act, bool norm_first,
                        bool decoder)
{
    const char *kind = decoder ? "TransformerDecoderLayer" : "TransformerEncoderLayer";
    if (dims <= 0 || heads <= 0 || dims % heads || mlp_dims < 0 || !(dropout >= 0 && dropout < 1)) {
        em__error("%s: bad configuration (dims %lld, heads %d, mlp %lld, dropout %g)", kind,
                  (long long)dims, heads, (long long)mlp_dims, dropout);
        return NULL;
    }
    if (!mlp_dims)
        mlp_dims = 4 * dims;
    em_module *m = em__module_make(parent, name, kind, decoder ? decoder_fwd : encoder_fwd);
    if (!m)
        return NULL;
    m->i[0] = dims;
    m->i[1] = heads;
    m->i[2] = mlp_dims;
    m->i[3] = act;
    m->i[4] = norm_first;
    bool ok;
    if (decoder)
        ok = em_nn_multi_head_attention(m, "self_attention", dims, heads, false) &&
             em_nn_multi_head_attention(m, "cross_attention", dims, heads, false);
    else
        ok = em_nn_multi_head_attention(m, "attention", dims, heads, false);
    ok = ok && em_nn_layer_norm(m, "ln1", dims, 1e-5, true, true) &&
         em_nn_layer_norm(m, "ln2", dims, 1e-5, true, true) &&
         (!decoder || em_nn_layer_norm(m, "ln3", dims, 1e-5, true, true)) &&
         em_nn_linear(m, "linear1", dims, mlp_dims, true) &&
         em_nn_linear(m, "linear2", mlp_dims, dims, true) &&
         em_nn_dropout(m, "dropout1", dropout) && em_nn_dropout(m, "dropout2", dropout) &&
         em_nn_dropout(m, "dropout3", dropout);
    return ok ? m : NULL;
}

em_module *em_nn_transformer_encoder_layer(em_module *parent, const char *name, int64_t dims,
                                           int heads, int64_t mlp_dims, double dropout,
                                           em_activation act, bool norm_first)
{
    return block(parent, name, dims, heads, mlp_dims, dropout, act, norm_first, false);
}

em_module *em_nn_transformer_decoder_layer(em_module *parent, const char *name, int64_t dims,
                                           int heads, int64_t mlp_dims, double dropout,
                                           em_activation act, bool norm_first)
{
    return block(parent, name, dims, heads, mlp_dims, dropout, act, norm_first, true);
}
