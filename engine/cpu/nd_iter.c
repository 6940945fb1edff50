#include "loops.h"

void em__nd_iter_init(em_nd_iter *it, int ndim, const int64_t *shape, int n_ops,
                      const int64_t *const *strides)
{
    it->n_ops = n_ops;
    int nd = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1)
            continue; /* size-1 dimensions move nothing */
        bool merge = nd > 0;
        for (int o = 0; o < n_ops && merge; o++)
            merge = it->strides[o][nd - 1] == strides[o][d] * shape[d];
        if (merge) {
            it->shape[nd - 1] *= shape[d];
            for (int o = 0; o < n_ops; o++)
                it->strides[o][nd - 1] = strides[o][d];
        } else {
            it->shape[nd] = shape[d];
            for (int o = 0; o < n_ops; o++)
                it->strides[o][nd] = strides[o][d];
            nd++;
        }
    }
    if (nd == 0) { /* a single element */
        it->shape[0] = 1;
        for (int o = 0; o < n_ops; o++)
            it->strides[o][0] = 1;
        nd = 1;
    }
    it->ndim = nd;
}

void em__nd_iter_row(const em_nd_iter *it, int64_t row, int64_t *offsets)
{
    for (int o = 0; o < it->n_ops; o++)
        offsets[o] = 0;
    for (int d = it->ndim - 2; d >= 0; d--) {
        int64_t i = row % it->shape[d];
        row /= it->shape[d];
        for (int o = 0; o < it->n_ops; o++)
            offsets[o] += i * it->strides[o][d];
    }
}
