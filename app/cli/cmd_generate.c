/* ember-cli generate: text generation from a model folder (ember/llm.h). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ember/ember.h"
#include "ember/llm.h"

static void gen_usage(FILE *f)
{
    fprintf(f,
            "Usage: ember-cli generate --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [--chat]\n"
            "         [--system TEXT] [--max-tokens N] [--temp T] [--top-k K] [--top-p P]\n"
            "         [--min-p M] [--repetition-penalty R] [--seed S] [--device cpu|gpu]\n"
            "         [--stop TEXT]... [--print-ids] [--stats]\n\n"
            "Streams the text a language model generates (llama, mistral, qwen2, qwen3,\n"
            "gemma2, gemma3, phi3, gpt2; f32/f16/bf16 or MLX-quantized folders).\n"
            "  --chat         apply the model's chat template (with --system, if given)\n"
            "  --temp 0       greedy (the default); otherwise sampled with the seed\n"
            "  --print-ids    print the generated ids, space-separated, instead of text\n"
            "  --stats        print prompt and generation tokens/s, time to first token and\n"
            "                 peak memory to stderr\n");
}

typedef struct {
    bool ids;
    int64_t n;
} out_ctx;

static bool on_token(void *user, int32_t id, const char *text, size_t len)
{
    out_ctx *o = user;
    if (o->ids) {
        if (id >= 0)
            printf("%s%d", o->n++ ? " " : "", id);
    } else if (len) {
        fwrite(text, 1, len, stdout);
    }
    fflush(stdout);
    return true;
}

static bool parse_ids(const char *s, int32_t **ids, int64_t *n)
{
    int64_t cap = 16;
    *ids = malloc(cap * sizeof **ids);
    *n = 0;
    while (*ids && *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > INT32_MAX)
            return false;
        if (*n == cap) {
            cap *= 2;
            int32_t *p = realloc(*ids, cap * sizeof *p);
            if (!p)
                return false;
            *ids = p;
        }
        (*ids)[(*n)++] = (int32_t)v;
        s = end;
        while (*s == ',' || *s == ' ')
            s++;
    }
    return *ids && *n > 0;
}

static int run_generate(int argc, char **argv)
{
    const char *model = NULL, *prompt = NULL, *prompt_ids = NULL, *system = NULL, *device = "cpu";
    bool chat = false, print_ids = false, stats = false;
    em_llm_gen_params p;
    em_llm_gen_params_defaults(&p);
    p.max_tokens = 256;
    const char *stops[16];
    int nstops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && (v ? (i++, true) : (fprintf(stderr, "generate: %s needs a value\n", name), exit_code = 2, false)))
        int exit_code = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            gen_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--chat")) {
            chat = true;
        } else if (!strcmp(a, "--print-ids")) {
            print_ids = true;
        } else if (!strcmp(a, "--stats")) {
            stats = true;
        } else if (ARG("--model")) {
            model = v;
        } else if (ARG("--prompt")) {
            prompt = v;
        } else if (ARG("--prompt-ids")) {
            prompt_ids = v;
        } else if (ARG("--system")) {
            system = v;
        } else if (ARG("--max-tokens")) {
            p.max_tokens = atoi(v);
        } else if (ARG("--temp")) {
            p.sampler.temperature = atof(v);
        } else if (ARG("--top-k")) {
            p.sampler.top_k = atoi(v);
        } else if (ARG("--top-p")) {
            p.sampler.top_p = atof(v);
        } else if (ARG("--min-p")) {
            p.sampler.min_p = atof(v);
        } else if (ARG("--repetition-penalty")) {
            p.sampler.repetition_penalty = atof(v);
        } else if (ARG("--seed")) {
            p.sampler.seed = strtoull(v, NULL, 10);
        } else if (ARG("--device")) {
            device = v;
        } else if (ARG("--prefill-chunk")) {
            p.prefill_chunk = atoi(v);
        } else if (ARG("--stop")) {
            if (nstops < 16)
                stops[nstops++] = v;
        } else {
            if (exit_code)
                return exit_code;
            fprintf(stderr, "generate: unknown option '%s' (see --help)\n", a);
            return 2;
        }
#undef ARG
    }
    if (!model || (!prompt == !prompt_ids)) {
        gen_usage(stderr);
        return 2;
    }
    if (!strcmp(device, "gpu")) {
        if (!em_device_available(em_gpu())) {
            fprintf(stderr, "generate: no GPU device available\n");
            return 1;
        }
        em_set_default_device(em_gpu());
    } else if (strcmp(device, "cpu")) {
        fprintf(stderr, "generate: --device is cpu or gpu, not '%s'\n", device);
        return 2;
    }
    p.stop_strings = stops;
    p.n_stop_strings = nstops;
    em_llm *m = em_llm_load(model, NULL, NULL);
    if (!m) {
        fprintf(stderr, "generate: %s\n", em_error_message());
        return 1;
    }
    int32_t *ids = NULL;
    int64_t n = 0;
    int rc = 0;
    if (prompt_ids) {
        if (!parse_ids(prompt_ids, &ids, &n)) {
            fprintf(stderr, "generate: --prompt-ids wants comma-separated token ids\n");
            rc = 2;
        }
    } else {
        char *msgs = NULL;
        if (chat) {
            json_object *arr = json_object_new_array();
            if (system) {
                json_object *s = json_object_new_object();
                json_object_object_add(s, "role", json_object_new_string("system"));
                json_object_object_add(s, "content", json_object_new_string(system));
                json_object_array_add(arr, s);
            }
            json_object *u = json_object_new_object();
            json_object_object_add(u, "role", json_object_new_string("user"));
            json_object_object_add(u, "content", json_object_new_string(prompt));
            json_object_array_add(arr, u);
            msgs = strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
            json_object_put(arr);
        }
        if (em_llm_encode_prompt(m, prompt, msgs, &ids, &n) < 0) {
            fprintf(stderr, "generate: %s\n", em_error_message());
            rc = 1;
        }
        free(msgs);
    }
    em_llm_session *s = rc ? NULL : em_llm_session_new(m);
    if (!rc && !s)
        rc = 1;
    out_ctx o = {print_ids, 0};
    if (!rc && em_llm_session_generate(s, ids, n, &p, on_token, &o) < 0) {
        fprintf(stderr, "\ngenerate: %s\n", em_llm_session_error(s));
        rc = 1;
    }
    if (s) {
        putchar('\n');
        fflush(stdout);
    }
    if (!rc && stats) {
        em_llm_stats st = em_llm_session_stats(s);
        fprintf(stderr,
                "prompt: %lld tokens, %.1f tokens/s\n"
                "generation: %lld tokens, %.1f tokens/s\n"
                "time to first token: %.3f s\n"
                "peak memory: %.1f MB\n"
                "stopped: %s\n",
                (long long)st.prompt_tokens, st.prompt_tps, (long long)st.generated_tokens,
                st.generate_tps, st.ttft_seconds, st.peak_memory / 1e6, st.stop_reason);
    }
    em_llm_session_free(s);
    free(ids);
    em_llm_free(m);
    return rc;
}

const em_cli_command em_cli_cmd_generate = {"generate", "generate text with a language model", run_generate};
