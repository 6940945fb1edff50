/* Trainable models of the training API (internal): each is a parameter tree
 * with dotted names and a forward over it, made of ordinary ops so that
 * em_value_and_grad_tree differentiates it. */
#ifndef EMBER_MODELS_INTERNAL_H
#define EMBER_MODELS_INTERNAL_H

#include <stdint.h>

#include "ember/array.h"
#include "ember/transforms.h"

typedef enum { EM__MODEL_MLP, EM__MODEL_CNN, EM__MODEL_GPT } em__model_kind;

typedef struct em__model {
    em__model_kind kind;
    /* gpt */
    int vocab, n_layers, n_heads, d_model, context;
} em__model;

/* Parameters initialised from keys of seed (stream 0). 0 or -1. */
int em__model_init(const em__model *m, uint64_t seed, em_tree *params);
/* Logits: mlp (N, 784) -> (N, 10); cnn (N, 28, 28, 1) -> (N, 10); gpt ids
 * (B, T) int32 -> (B, T, vocab). */
em_array *em__model_forward(const em__model *m, const em_tree *params, em_array *x);
/* Mean cross-entropy of logits (..., C) against integer targets (...). */
em_array *em__cross_entropy_mean(em_array *logits, em_array *targets);

#endif
