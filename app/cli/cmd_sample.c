/* ember-cli sample --checkpoint DIR --prompt TEXT: text from a fortunes GPT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ember/error.h"
#include "ember/train.h"

static void put_text(const char *s, size_t n, void *user)
{
    (void)user;
    fwrite(s, 1, n, stdout);
    fflush(stdout);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: ember-cli sample --checkpoint DIR --prompt TEXT [--max-tokens N] [--temp T]\n"
               "                         [--top-k K] [--seed S]\n\n"
               "Writes the prompt and its continuation by a GPT trained with 'ember-cli train\n"
               "fortunes' (defaults: 400 characters, temperature 0.8, top-k 0 = all, seed 0).\n");
}

static int run_sample(int argc, char **argv)
{
    const char *ckpt = NULL, *prompt = "";
    long long max_tokens = 400, seed = 0;
    double temp = 0.8;
    int top_k = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "ember-cli sample: unknown or incomplete option '%s'\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--checkpoint"))
            ckpt = v;
        else if (!strcmp(a, "--prompt"))
            prompt = v;
        else if (!strcmp(a, "--max-tokens"))
            max_tokens = atoll(v);
        else if (!strcmp(a, "--temp"))
            temp = atof(v);
        else if (!strcmp(a, "--top-k"))
            top_k = atoi(v);
        else if (!strcmp(a, "--seed"))
            seed = atoll(v);
        else {
            fprintf(stderr, "ember-cli sample: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (!ckpt) {
        usage(stderr);
        return 2;
    }
    em_text_model *m = em_text_model_load(ckpt);
    if (!m) {
        fprintf(stderr, "ember-cli sample: %s\n", em_error_message());
        return 1;
    }
    fputs(prompt, stdout);
    int64_t n = em_text_model_sample(m, prompt, max_tokens, temp, top_k, (uint64_t)seed, put_text,
                                     NULL);
    putchar('\n');
    em_text_model_free(m);
    if (n < 0) {
        fprintf(stderr, "ember-cli sample: %s\n", em_error_message());
        return 1;
    }
    return 0;
}

const em_cli_command em_cli_cmd_sample = {
    "sample", "write text with a GPT trained on fortunes", run_sample,
};
