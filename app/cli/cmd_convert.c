/* ember-cli convert: a model folder to an MLX-compatible quantized one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ember/ember.h"
#include "ember/llm.h"

static void conv_usage(FILE *f)
{
    fprintf(f, "Usage: ember-cli convert --model DIR --quantize 4|8 [--group-size 32|64|128] --out DIR\n\n"
               "Writes an MLX-community style quantized model folder: linear and embedding\n"
               "weights quantized (affine, scales and biases beside each), config.json with\n"
               "\"quantization\", tokenizer files copied. Group size 64 by default.\n");
}

static int run_convert(int argc, char **argv)
{
    const char *model = NULL, *out = NULL;
    int bits = 0, gs = 64;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            conv_usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "convert: %s needs a value (see --help)\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--model"))
            model = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--quantize"))
            bits = atoi(v);
        else if (!strcmp(a, "--group-size"))
            gs = atoi(v);
        else {
            fprintf(stderr, "convert: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!model || !out || !bits) {
        conv_usage(stderr);
        return 2;
    }
    if (em_llm_convert(model, out, bits, gs) < 0) {
        fprintf(stderr, "convert: %s\n", em_error_message());
        return 1;
    }
    printf("wrote %s (%d-bit, group size %d)\n", out, bits, gs);
    return 0;
}

const em_cli_command em_cli_cmd_convert = {"convert", "quantize a model folder (MLX format)", run_convert};
