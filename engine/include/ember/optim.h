/* Optimizers and learning-rate schedules, as MLX's mlx.optimizers (update
 * formulas checked against torch.optim where PyTorch has them).
 *
 * em_optimizer_update(opt, params, grads) replaces, for every name in grads,
 * the array of that name in params by a new lazy array (and its state
 * likewise); nothing is evaluated: evaluate params and the optimizer state
 * together (em_optimizer_eval) once per step. Parameters with no gradient
 * (frozen ones) are untouched. */
#ifndef EMBER_OPTIM_H
#define EMBER_OPTIM_H

#include "ember/array.h"
#include "ember/transforms.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- schedules: learning rate as a function of the step (0, 1, ...) ---- */
typedef struct em_schedule em_schedule;
/* init * gamma^(step / step_size) (integer division) */
em_schedule *em_schedule_step(double init, double gamma, int64_t step_size);
/* init * gamma^step */
em_schedule *em_schedule_exponential(double init, double gamma);
/* end + (init - end) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) */
em_schedule *em_schedule_cosine(double init, int64_t decay_steps, double end);
/* init + (end - init) * min(step, steps) / steps (a linear warm-up from init to end) */
em_schedule *em_schedule_linear(double init, double end, int64_t steps);
em_schedule *em_schedule_constant(double value);
/* schedules[0] before boundaries[0], then schedules[i] at (step - boundaries[i-1])
 * up to boundaries[i]. Takes ownership of the n schedules (n - 1 boundaries). */
em_schedule *em_schedule_join(em_schedule *const *schedules, int n, const int64_t *boundaries);
double em_schedule_at(const em_schedule *s, int64_t step);
void em_schedule_free(em_schedule *s);

/* ---- optimizers ---- */
typedef struct em_optimizer em_optimizer;

/* p -= lr * (momentum buffer or gradient), PyTorch's SGD: g += wd * p;
 * buf = g at the first step, then momentum * buf + (1 - dampening) * g;
 * nesterov: g + momentum * buf. */
em_optimizer *em_optim_sgd(double lr, double momentum, double weight_decay, double dampening,
                           bool nesterov);
/* bias_correction true: PyTorch's Adam; false: MLX's default. weight_decay
 * (L2, added to the gradient, as torch.optim.Adam). */
em_optimizer *em_optim_adam(double lr, double beta1, double beta2, double eps,
                            double weight_decay, bool bias_correction);
/* decoupled weight decay: p *= 1 - lr * wd, then Adam (bias-corrected when asked). */
em_optimizer *em_optim_adamw(double lr, double beta1, double beta2, double eps,
                             double weight_decay, bool bias_correction);
/* v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps); with momentum:
 * buf = momentum buf + g / (sqrt(v) + eps), p -= lr buf. (torch.optim.RMSprop) */
em_optimizer *em_optim_rmsprop(double lr, double alpha, double eps, double weight_decay,
                               double momentum);
/* s += g^2; p -= lr g / (sqrt(s) + eps) */
em_optimizer *em_optim_adagrad(double lr, double eps, double weight_decay);
/* c = b1 m + (1 - b1) g; p = p (1 - lr wd) - lr sign(c); m = b2 m + (1 - b2) g */
em_optimizer *em_optim_lion(double lr, double beta1, double beta2, double weight_decay);
/* Adafactor as MLX (Shazeer & Stern 2018): factored second moments for
 * matrices. lr <= 0 (or relative_step): relative step size min(1e-2 (or 1e-6
 * step with warmup_init), 1/sqrt(step)); scale_parameter multiplies it by
 * max(eps2, rms(p)). beta1 < 0: no first moment. MLX defaults: eps1 1e-30,
 * eps2 1e-3, clip_threshold 1, decay_rate -0.8, beta1 -1, weight_decay 0,
 * scale_parameter, relative_step true, warmup_init false. */
em_optimizer *em_optim_adafactor(double lr, double eps1, double eps2, double clip_threshold,
                                 double decay_rate, double beta1, double weight_decay,
                                 bool scale_parameter, bool relative_step, bool warmup_init);
/* By name ("sgd", "adam", "adamw", "rmsprop", "adagrad", "lion", "adafactor")
 * with common defaults (Adam and AdamW bias-corrected, AdamW wd 0.01). */
em_optimizer *em_optimizer_by_name(const char *name, double lr);
void em_optimizer_free(em_optimizer *opt);
const char *em_optimizer_name(const em_optimizer *opt);

/* The learning rate follows s from now on (takes ownership; NULL: back to constant). */
void em_optimizer_set_schedule(em_optimizer *opt, em_schedule *s);
/* The rate the next update will use. */
double em_optimizer_lr(const em_optimizer *opt);
void em_optimizer_set_lr(em_optimizer *opt, double lr);
/* Updates done so far. */
int64_t em_optimizer_step(const em_optimizer *opt);

int em_optimizer_update(em_optimizer *opt, em_tree *params, const em_tree *grads);
/* Evaluates params (may be NULL) and the optimizer's state in one go. */
int em_optimizer_eval(em_optimizer *opt, const em_tree *params);

/* State: "<param>.<slot>" per parameter (slots: "v" for SGD's momentum; "m",
 * "v" for Adam; ...) plus "step". Borrowed. */
const em_tree *em_optimizer_state(const em_optimizer *opt);
/* Checkpoints: the state as safetensors with metadata (optimizer name, step,
 * learning rate). Load requires the same optimizer kind; it restores the step
 * and every slot, so the next update continues exactly. 0 or -1. */
int em_optimizer_save(em_optimizer *opt, const char *path);
int em_optimizer_load(em_optimizer *opt, const char *path);

/* Scales every gradient by min(1, max_norm / (total_norm + 1e-6)) (in place:
 * the tree's arrays are replaced); returns the total L2 norm before clipping
 * (a new reference). */
em_array *em_clip_grad_norm(em_tree *grads, double max_norm);

#ifdef __cplusplus
}
#endif
#endif
