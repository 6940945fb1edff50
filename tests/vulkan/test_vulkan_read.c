/* Reading GPU arrays back on the host through the staging copy (vk_read),
 * which device memory behind the PCI BAR needs: forced here with
 * EMBER_VULKAN_STAGED_READS=1 so lavapipe runs the same path. Whole arrays,
 * a transposed view, a strided slice at an offset, and an array larger than
 * one staging chunk (32 MiB), against the values arange puts there. */
#include "vk_test.h"

uint64_t em__vk_staged_reads(void);

static void check(const char *what, bool ok)
{
    vt_checks++;
    if (!ok) {
        vt_failures++;
        printf("FAIL %s\n", what);
    }
}

int main(void)
{
    setenv("EMBER_VULKAN_STAGED_READS", "1", 1);
    vt_require_gpu();
    vt_on(em_gpu());
    EM_SCOPE {
        /* 300,000 floats */
        int64_t n = 300000;
        em_array *x = em_arange(0, (double)n, 1, EM_FLOAT32);
        em_eval(x);
        float *v = malloc(n * sizeof *v);
        uint64_t r0 = em__vk_staged_reads();
        check("read whole", em_array_read(x, EM_FLOAT32, v, n) == n);
        check("the staging copy was used", em__vk_staged_reads() > r0);
        bool ok = true;
        for (int64_t i = 0; i < n; i++)
            ok &= v[i] == (float)i;
        check("whole array's values", ok);

        /* a transposed view: (600, 500) -> (500, 600) */
        em_array *t = em_transpose(em_reshape(x, 2, (int64_t[]){600, 500}), NULL);
        em_eval(t);
        check("read transposed", em_array_read(t, EM_FLOAT32, v, n) == n);
        ok = true;
        for (int64_t c = 0; c < 500; c++)
            for (int64_t r = 0; r < 600; r++)
                ok &= v[c * 600 + r] == (float)(r * 500 + c);
        check("transposed values", ok);

        /* a strided slice starting at 1000, as float64 */
        em_array *s = em_slice(x, (int64_t[]){1000}, (int64_t[]){200000}, (int64_t[]){3});
        int64_t ns = em_array_size(s);
        double *d = malloc(ns * sizeof *d);
        check("read slice", em_array_read(s, EM_FLOAT64, d, ns) == ns);
        ok = true;
        for (int64_t i = 0; i < ns; i++)
            ok &= d[i] == 1000.0 + 3.0 * i;
        check("slice values", ok);
        free(d);
        free(v);

        /* 9M floats: 36 MB, more than one chunk */
        int64_t nb = 9000000;
        em_array *big = em_arange(0, (double)nb, 1, EM_FLOAT32);
        float *w = malloc(nb * sizeof *w);
        check("read big", w && em_array_read(big, EM_FLOAT32, w, nb) == nb);
        ok = w != NULL;
        for (int64_t i = 0; ok && i < nb; i++)
            ok &= w[i] == (float)i;
        check("big array's values", ok);
        free(w);
    }
    vt_on(em_cpu());
    printf("%d checks, %d failed\n", vt_checks, vt_failures);
    return vt_failures != 0;
}
