/* ember-cli tokenize / chat-template: Hugging Face tokenizers and chat
 * templates on the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "ember/error.h"
#include "ember/tokenizer.h"

static void tokenize_usage(FILE *f)
{
    fprintf(f, "Usage: ember-cli tokenize --tokenizer PATH [--add-special-tokens] [--decode]\n"
               "                          [--skip-special-tokens]\n\n"
               "Reads standard input line by line. Without --decode each line (without its\n"
               "newline) is encoded and its ids printed space-separated on one line; with\n"
               "--decode each line of space-separated ids is decoded to one line of text.\n"
               "PATH is a tokenizer.json or a folder holding one.\n\n"
               "--benchmark: read all of standard input, then print the time to load PATH\n"
               "and to encode every line (one thread), instead of the ids.\n");
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Times loading and encoding, with the input already in memory. */
static int benchmark(const char *path, bool special)
{
    size_t n = 0, cap = 0, k;
    char *all = NULL, chunk[1 << 16];
    while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (n + k > cap) {
            cap = (n + k) * 2;
            char *q = realloc(all, cap);
            if (!q) {
                free(all);
                fprintf(stderr, "ember-cli tokenize: out of memory\n");
                return 1;
            }
            all = q;
        }
        memcpy(all + n, chunk, k);
        n += k;
    }
    double t0 = now();
    em_tokenizer *tok = em_tokenizer_load(path);
    double t1 = now();
    if (!tok) {
        free(all);
        fprintf(stderr, "ember-cli tokenize: %s\n", em_error_message());
        return 1;
    }
    size_t lines = 0, ids_total = 0, bytes = 0;
    int status = 0;
    for (size_t i = 0; i < n;) {
        char *nl = memchr(all + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (all + i)) : n - i;
        int32_t *ids;
        size_t m;
        if (em_tokenizer_encode(tok, all + i, len, special, &ids, &m)) {
            fprintf(stderr, "ember-cli tokenize: %s\n", em_error_message());
            status = 1;
            break;
        }
        free(ids);
        ids_total += m;
        bytes += len;
        lines++;
        i += len + 1;
    }
    double t2 = now();
    printf("load_s=%.4f lines=%zu bytes=%zu ids=%zu encode_s=%.4f MBps=%.2f\n", t1 - t0, lines, bytes,
           ids_total, t2 - t1, (double)bytes / 1e6 / (t2 - t1));
    em_tokenizer_free(tok);
    free(all);
    return status;
}

static int decode_line(const em_tokenizer *tok, char *line, size_t lineno, bool skip, FILE *out)
{
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p)
            break;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX || (*end && *end != ' ' && *end != '\t' && *end != '\r')) {
            fprintf(stderr, "ember-cli tokenize: line %zu: '%.*s' is not a token id\n", lineno,
                    (int)strcspn(p, " \t\r"), p);
            free(ids);
            return -1;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            int32_t *q = realloc(ids, cap * sizeof *q);
            if (!q) {
                free(ids);
                fprintf(stderr, "ember-cli tokenize: out of memory\n");
                return -1;
            }
            ids = q;
        }
        ids[n++] = (int32_t)v;
        p = end;
    }
    size_t len;
    char *text = em_tokenizer_decode(tok, ids, n, skip, &len);
    free(ids);
    if (!text) {
        fprintf(stderr, "ember-cli tokenize: line %zu: %s\n", lineno, em_error_message());
        return -1;
    }
    fwrite(text, 1, len, out);
    fputc('\n', out);
    free(text);
    return 0;
}

static int run_tokenize(int argc, char **argv)
{
    const char *path = NULL;
    bool special = false, decode = false, skip = false, bench = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--benchmark"))
            bench = true;
        else if (!strcmp(argv[i], "--tokenizer") && i + 1 < argc)
            path = argv[++i];
        else if (!strncmp(argv[i], "--tokenizer=", 12))
            path = argv[i] + 12;
        else if (!strcmp(argv[i], "--add-special-tokens"))
            special = true;
        else if (!strcmp(argv[i], "--decode"))
            decode = true;
        else if (!strcmp(argv[i], "--skip-special-tokens"))
            skip = true;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            tokenize_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "ember-cli tokenize: unknown option '%s'\n", argv[i]);
            tokenize_usage(stderr);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "ember-cli tokenize: --tokenizer PATH is required\n");
        tokenize_usage(stderr);
        return 2;
    }
    if (bench)
        return benchmark(path, special);
    em_tokenizer *tok = em_tokenizer_load(path);
    if (!tok) {
        fprintf(stderr, "ember-cli tokenize: %s\n", em_error_message());
        return 1;
    }
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int status = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (decode) {
            if (decode_line(tok, line, lineno, skip, stdout)) {
                status = 1;
                break;
            }
            continue;
        }
        int32_t *ids;
        size_t n;
        if (em_tokenizer_encode(tok, line, (size_t)len, special, &ids, &n)) {
            fprintf(stderr, "ember-cli tokenize: line %zu: %s\n", lineno, em_error_message());
            status = 1;
            break;
        }
        char num[16];
        for (size_t i = 0; i < n; i++) {
            int k = snprintf(num, sizeof num, i ? " %d" : "%d", ids[i]);
            fwrite(num, 1, (size_t)k, stdout);
        }
        fputc('\n', stdout);
        free(ids);
    }
    free(line);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "ember-cli tokenize: write error\n");
        status = 1;
    }
    em_tokenizer_free(tok);
    return status;
}

static void chat_usage(FILE *f)
{
    fprintf(f, "Usage: ember-cli chat-template --model DIR --messages FILE.json\n"
               "                               [--add-generation-prompt]\n\n"
               "Renders the chat template of DIR/tokenizer_config.json (DIR may also be the\n"
               "file itself) for the messages in FILE.json: a JSON array of messages, or an\n"
               "object whose keys become template variables (messages, tools, ...).\n");
}

static int run_chat_template(int argc, char **argv)
{
    const char *model = NULL, *messages = NULL;
    bool gen = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else if (!strcmp(argv[i], "--messages") && i + 1 < argc)
            messages = argv[++i];
        else if (!strcmp(argv[i], "--add-generation-prompt"))
            gen = true;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            chat_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "ember-cli chat-template: unknown option '%s'\n", argv[i]);
            chat_usage(stderr);
            return 2;
        }
    }
    if (!model || !messages) {
        fprintf(stderr, "ember-cli chat-template: --model and --messages are required\n");
        chat_usage(stderr);
        return 2;
    }
    FILE *f = fopen(messages, "rb");
    if (!f) {
        fprintf(stderr, "ember-cli chat-template: %s: %s\n", messages, strerror(errno));
        return 1;
    }
    char *json = NULL;
    size_t n = 0, cap = 0, k;
    char chunk[65536];
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + k + 1 > cap) {
            cap = (n + k + 1) * 2;
            char *q = realloc(json, cap);
            if (!q) {
                free(json);
                fclose(f);
                fprintf(stderr, "ember-cli chat-template: out of memory\n");
                return 1;
            }
            json = q;
        }
        memcpy(json + n, chunk, k);
        n += k;
    }
    fclose(f);
    if (!json)
        json = calloc(1, 1);
    json[n] = '\0';
    em_chat_template *t = em_chat_template_load(model);
    if (!t) {
        fprintf(stderr, "ember-cli chat-template: %s\n", em_error_message());
        free(json);
        return 1;
    }
    char *out = em_chat_template_render(t, json, gen);
    free(json);
    em_chat_template_free(t);
    if (!out) {
        fprintf(stderr, "ember-cli chat-template: %s\n", em_error_message());
        return 1;
    }
    fputs(out, stdout);
    free(out);
    return fflush(stdout) ? 1 : 0;
}

const em_cli_command em_cli_cmd_tokenize = {
    "tokenize", "encode or decode lines with a Hugging Face tokenizer.json", run_tokenize};
const em_cli_command em_cli_cmd_chat_template = {
    "chat-template", "render a model's chat template for a conversation", run_chat_template};
