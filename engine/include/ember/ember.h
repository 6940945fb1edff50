/* Ember: arrays, lazy evaluation and transformations for machine learning. */
#ifndef EMBER_H
#define EMBER_H

#include "ember/error.h"
#include "ember/dtype.h"
#include "ember/array.h"
#include "ember/ops.h"
#include "ember/random.h"
#include "ember/fast.h"
#include "ember/cpu.h"
#include "ember/io.h"
#include "ember/transforms.h"
#include "ember/graph.h"
#include "ember/nn.h"
#include "ember/optim.h"

#endif
