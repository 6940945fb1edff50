/* Learning-rate schedules: plain functions of the step, evaluated on the host. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ember/optim.h"
#include "error_internal.h"

typedef enum { S_CONST, S_STEP, S_EXP, S_COSINE, S_LINEAR, S_JOIN } kind;

struct em_schedule {
    kind k;
    double init, a, end;
    int64_t n;
    em_schedule **parts;
    int64_t *bounds;
    int n_parts;
};

static em_schedule *make(kind k, double init, double a, double end, int64_t n)
{
    em_schedule *s = calloc(1, sizeof *s);
    if (!s) {
        em__error("schedule: out of memory");
        return NULL;
    }
    s->k = k;
    s->init = init;
    s->a = a;
    s->end = end;
    s->n = n;
    return s;
}

em_schedule *em_schedule_constant(double value) { return make(S_CONST, value, 0, 0, 0); }

em_schedule *em_schedule_step(double init, double gamma, int64_t step_size)
{
    if (step_size <= 0) {
        em__error("step schedule: step size %lld must be positive", (long long)step_size);
        return NULL;
    }
    return make(S_STEP, init, gamma, 0, step_size);
}

em_schedule *em_schedule_exponential(double init, double gamma)
{
    return make(S_EXP, init, gamma, 0, 0);
}

em_schedule *em_schedule_cosine(double init, int64_t decay_steps, double end)
{
    if (decay_steps <= 0) {
        em__error("cosine schedule: decay steps %lld must be positive", (long long)decay_steps);
        return NULL;
    }
    return make(S_COSINE, init, 0, end, decay_steps);
}

em_schedule *em_schedule_linear(double init, double end, int64_t steps)
{
    if (steps <= 0) {
        em__error("linear schedule: steps %lld must be positive", (long long)steps);
        return NULL;
    }
    return make(S_LINEAR, init, 0, end, steps);
}

em_schedule *em_schedule_join(em_schedule *const *schedules, int n, const int64_t *boundaries)
{
    bool ok = schedules && n >= 1 && (n == 1 || boundaries);
    for (int i = 0; ok && i < n; i++)
        ok = schedules[i] != NULL;
    for (int i = 1; ok && i < n - 1; i++)
        ok = boundaries[i] >= boundaries[i - 1];
    em_schedule *s = ok ? make(S_JOIN, 0, 0, 0, 0) : NULL;
    if (s) {
        s->parts = malloc(n * sizeof *s->parts);
        s->bounds = malloc((n > 1 ? n - 1 : 1) * sizeof *s->bounds);
        if (!s->parts || !s->bounds) {
            free(s->parts);
            free(s->bounds);
            free(s);
            s = NULL;
            em__error("join schedule: out of memory");
        }
    } else if (ok || !em_error_pending()) {
        em__error("join schedule: needs %d schedules and %d ascending boundaries", n, n - 1);
    }
    if (!s) {
        for (int i = 0; schedules && i < n; i++)
            em_schedule_free(schedules[i]);
        return NULL;
    }
    memcpy(s->parts, schedules, n * sizeof *s->parts);
    if (n > 1)
        memcpy(s->bounds, boundaries, (n - 1) * sizeof *s->bounds);
    s->n_parts = n;
    return s;
}

double em_schedule_at(const em_schedule *s, int64_t step)
{
    if (!s)
        return 0;
    switch (s->k) {
    case S_CONST: return s->init;
    case S_STEP: return s->init * pow(s->a, (double)(step / s->n));
    case S_EXP: return s->init * pow(s->a, (double)step);
    case S_COSINE: {
        double t = (double)(step < s->n ? step : s->n) / (double)s->n;
        return s->end + (s->init - s->end) * 0.5 * (1 + cos(M_PI * t));
    }
    case S_LINEAR: {
        double t = (double)(step < s->n ? step : s->n) / (double)s->n;
        return s->init + (s->end - s->init) * t;
    }
    case S_JOIN: {
        int i = 0;
        while (i < s->n_parts - 1 && step >= s->bounds[i])
            i++;
        return em_schedule_at(s->parts[i], i ? step - s->bounds[i - 1] : step);
    }
    }
    return 0;
}

void em_schedule_free(em_schedule *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_parts; i++)
        em_schedule_free(s->parts[i]);
    free(s->parts);
    free(s->bounds);
    free(s);
}
