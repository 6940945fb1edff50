/* Shared by the linear algebra, einsum and convolution constructors. */
#ifndef EMBER_OPS_LINALG_H
#define EMBER_OPS_LINALG_H

#include "ops_internal.h"

/* Sum over axes (NULL: all) as a matmul with a ones vector; bool sums as int32. */
em_array *em__lin_sum(em_array *a, const int *axes, int n_axes, bool keepdims);

#endif
