/* Inside engine/nn: the module record and helpers shared by the layers. */
#ifndef EMBER_NN_INTERNAL_H
#define EMBER_NN_INTERNAL_H

#include "ember/fast.h"
#include "ember/io.h"
#include "ember/nn.h"
#include "ember/random.h"
#include "ops/ops_internal.h"

struct root_info;

struct em_module {
    const char *kind; /* static string */
    char *local;      /* name under the parent ("" for a root) */
    char *name;       /* full dotted prefix */
    em_module *parent, *root;
    em_module **children;
    int n_children, cap_children;
    em_forward_fn forward;
    void *payload;
    void (*free_payload)(void *);
    bool training;
    /* layer configuration */
    int64_t i[16];
    double f[8];
    struct root_info *ri; /* root only */
};

/* A module attached to parent (or a root); NULL with an error. */
em_module *em__module_make(em_module *parent, const char *name, const char *kind,
                           em_forward_fn forward);
/* Reduction helper for losses. */
em_array *em__reduce_loss(em_array *l, em_reduction reduction);

#endif
