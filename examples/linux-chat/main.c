/* linux-chat: talks with a model from a `sphere_aae package` output.
 *
 *   linux-chat BUNDLE_DIR MODEL_ID [- [MAX_TOKENS]]      chat: one user turn per stdin line
 *   linux-chat BUNDLE_DIR MODEL_ID PROMPT [MAX_TOKENS]   one shot: continues PROMPT, then exits
 *
 * BUNDLE_DIR is dist/bundle (it holds sphere-aae-app-config.json and the bundled weights); the
 * model library comes from libmodel_linux.a, linked into this program, found by its model_lib
 * name through aae_system_model_lib().
 *
 * Chat mode keeps the conversation in an OpenAI "messages" array that this program builds
 * itself and sends whole with every turn (aae_chat_completion); the engine notices that the
 * conversation so far is already in its KV cache and only processes the new turn. Replies
 * stream to stdout (at most MAX_TOKENS tokens each, default 256). "/reset" starts a new
 * conversation; end of input quits.
 *
 * One-shot mode is a raw completion (aae_engine_generate, no conversation template, greedy):
 * the same prompt always gives the same text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sphere_aae/aae.h"
#include "sphere_aae/aae_app_config.h"
#include "sphere_aae/aae_chat.h"

static int fail(const char* what) {
  fprintf(stderr, "linux-chat: %s: %s\n", what, aae_last_error());
  return 1;
}

/* ---- A growable string ---- */

typedef struct Text {
  char* data;
  size_t size;
  size_t capacity;
} Text;

static void text_append(Text* t, const char* bytes, size_t n) {
  if (t->size + n + 1 > t->capacity) {
    size_t capacity = t->capacity ? t->capacity : 256;
    while (t->size + n + 1 > capacity) capacity *= 2;
    char* grown = (char*)realloc(t->data, capacity);
    if (grown == NULL) {
      fprintf(stderr, "linux-chat: out of memory\n");
      exit(1);
    }
    t->data = grown;
    t->capacity = capacity;
  }
  memcpy(t->data + t->size, bytes, n);
  t->size += n;
  t->data[t->size] = '\0';
}

static void text_puts(Text* t, const char* s) { text_append(t, s, strlen(s)); }

/* Appends `s` as a JSON string: quotes, backslashes and control characters escaped; other
 * bytes (UTF-8) as they are. */
static void text_json_string(Text* t, const char* s, size_t n) {
  text_puts(t, "\"");
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = (unsigned char)s[i];
    char escape[8];
    if (c == '"' || c == '\\') {
      escape[0] = '\\';
      escape[1] = (char)c;
      text_append(t, escape, 2);
    } else if (c < 0x20) {
      snprintf(escape, sizeof escape, "\\u%04x", c);
      text_puts(t, escape);
    } else {
      text_append(t, (const char*)&s[i], 1);
    }
  }
  text_puts(t, "\"");
}

/* ---- Reading the streamed chunks ---- */

static unsigned hex_value(const char* p) {
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0xFFFFFFFFu;
  }
  return v;
}

static void append_utf8(Text* t, unsigned cp) {
  char b[4];
  if (cp < 0x80) {
    b[0] = (char)cp;
    text_append(t, b, 1);
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3F));
    text_append(t, b, 2);
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    text_append(t, b, 3);
  } else {
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    text_append(t, b, 4);
  }
}

/* Appends the decoded "content" string of a chat.completion.chunk to `out`. Inside JSON
 * strings every quote is escaped, so the first literal "content":" is the key itself. */
static void append_delta_content(const char* chunk, Text* out) {
  const char* p = strstr(chunk, "\"content\":\"");
  if (p == NULL) return;
  p += strlen("\"content\":\"");
  while (*p != '\0' && *p != '"') {
    if (*p != '\\') {
      text_append(out, p, 1);
      ++p;
      continue;
    }
    ++p;
    const char e = *p++;
    switch (e) {
      case 'n': text_puts(out, "\n"); break;
      case 't': text_puts(out, "\t"); break;
      case 'r': text_puts(out, "\r"); break;
      case 'b': text_puts(out, "\b"); break;
      case 'f': text_puts(out, "\f"); break;
      case 'u': {
        unsigned cp = hex_value(p);
        if (cp == 0xFFFFFFFFu) return;
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
          const unsigned low = hex_value(p + 2);
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            p += 6;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
        append_utf8(out, cp);
        break;
      }
      case '\0': return;
      default: text_append(out, &e, 1); break; /* \" \\ \/ */
    }
  }
}

typedef struct Reply {
  Text text; /* the assistant's reply so far */
} Reply;

static void print_chunk(void* user, const char* chunk_json, size_t length) {
  Reply* reply = (Reply*)user;
  const size_t before = reply->text.size;
  (void)length;
  append_delta_content(chunk_json, &reply->text);
  fwrite(reply->text.data + before, 1, reply->text.size - before, stdout);
  fflush(stdout);
}

/* ---- The two modes ---- */

static int print_text(void* user, const char* text, size_t length) {
  (void)user;
  fwrite(text, 1, length, stdout);
  fflush(stdout);
  return 0; /* keep going */
}

static int one_shot(aae_engine* engine, const char* prompt, int max_tokens) {
  aae_generate_params gen;
  aae_generate_default_params(engine, &gen);
  gen.temperature = 0; /* greedy: the same prompt gives the same answer */
  if (max_tokens >= 0) gen.max_tokens = max_tokens; /* else the default */
  int32_t generated = 0;
  const aae_status status = aae_engine_generate(engine, prompt, &gen, print_text, NULL, &generated);
  printf("\n");
  return status == AAE_OK ? 0 : fail("generating");
}

static int chat(aae_engine* engine, int max_tokens) {
  Text messages = {0}; /* the JSON array's members so far, without the brackets */
  char line[8192];
  for (;;) {
    fputs("> ", stderr);
    if (fgets(line, sizeof line, stdin) == NULL) break;
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (n == 0) continue;
    if (strcmp(line, "/reset") == 0) {
      messages.size = 0;
      if (messages.data != NULL) messages.data[0] = '\0';
      aae_engine_reset_chat(engine);
      fputs("(new conversation)\n", stderr);
      continue;
    }
    const size_t turn_start = messages.size; /* to take the turn back if it fails */
    if (messages.size > 0) text_puts(&messages, ",");
    text_puts(&messages, "{\"role\":\"user\",\"content\":");
    text_json_string(&messages, line, n);
    text_puts(&messages, "}");

    Text request = {0};
    char head[64];
    snprintf(head, sizeof head, "{\"stream\":true,\"max_tokens\":%d,\"messages\":[", max_tokens);
    text_puts(&request, head);
    text_append(&request, messages.data, messages.size);
    text_puts(&request, "]}");
    Reply reply = {{0}};
    text_puts(&reply.text, ""); /* never NULL below */
    char* response = NULL;
    const aae_status status =
        aae_chat_completion(engine, request.data, print_chunk, &reply, &response);
    printf("\n");
    fflush(stdout);
    if (status == AAE_OK) {
      text_puts(&messages, ",{\"role\":\"assistant\",\"content\":");
      text_json_string(&messages, reply.text.data, reply.text.size);
      text_puts(&messages, "}");
    } else {
      fprintf(stderr, "linux-chat: %s\n", aae_last_error());
      if (status == AAE_ERR_CONTEXT_OVERFLOW) fputs("(type /reset to start over)\n", stderr);
      messages.size = turn_start;
      if (messages.data != NULL) messages.data[turn_start] = '\0';
    }
    aae_string_free(response);
    free(reply.text.data);
    free(request.data);
  }
  free(messages.data);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    fprintf(stderr,
            "usage: %s BUNDLE_DIR MODEL_ID [- [MAX_TOKENS]]     (chat: one turn per line)\n"
            "       %s BUNDLE_DIR MODEL_ID PROMPT [MAX_TOKENS]  (one-shot completion)\n",
            argv[0], argv[0]);
    return 2;
  }
  char config_path[4096];
  snprintf(config_path, sizeof config_path, "%s/sphere-aae-app-config.json", argv[1]);

  aae_app_model* model = NULL;
  if (aae_app_config_find(config_path, argv[2], &model) != AAE_OK) return fail("app config");
  if (aae_app_model_dir(model) == NULL) {
    fprintf(stderr, "linux-chat: model %s is not bundled (download it from %s)\n", argv[2],
            aae_app_model_url(model));
    aae_app_model_free(model);
    return 1;
  }

  aae_engine_params params;
  aae_engine_default_params(&params);
  params.model_dir = aae_app_model_dir(model);
  params.model_lib = aae_system_model_lib(aae_app_model_lib(model));
  if (params.model_lib == NULL) {
    fprintf(stderr, "linux-chat: model library %s is not linked into this app\n",
            aae_app_model_lib(model));
    aae_app_model_free(model);
    return 1;
  }
  aae_engine* engine = NULL;
  aae_status status = aae_engine_create(&params, &engine);
  aae_app_model_free(model);
  if (status != AAE_OK) return fail("loading the model");

  const int max_tokens = argc == 5 ? atoi(argv[4]) : -1;
  const int chat_mode = argc == 3 || strcmp(argv[3], "-") == 0;
  const int code = chat_mode ? chat(engine, max_tokens >= 0 ? max_tokens : 256)
                             : one_shot(engine, argv[3], max_tokens);
  aae_engine_free(engine);
  return code;
}
