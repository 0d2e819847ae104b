// JNI library behind ai.sphereaae.Engine (libsphere_aae_jni.so): the Java natives map one to one
// onto the C API (include/sphere_aae/aae.h, aae_chat.h, aae_app_config.h); nothing else of the
// runtime is used.
//
// Strings cross as UTF-8 byte arrays in both directions (Java encodes and decodes them with
// StandardCharsets.UTF_8): JNI's GetStringUTFChars/NewStringUTF speak "modified UTF-8", which
// encodes a character outside the BMP (an emoji) as two 3-byte surrogates, not the 4 bytes the
// tokenizer and the JSON parser expect.
//
// Natives are registered in JNI_OnLoad (no name mangling to keep in sync; on Android the class
// lookup there uses the app's class loader). Engine handles are aae_engine* cast to jlong; the
// Java side guarantees a handle is live during a call (see Engine.java's locks).
#include <jni.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "sphere_aae/aae.h"
#include "sphere_aae/aae_app_config.h"
#include "sphere_aae/aae_chat.h"

namespace {

// Global refs and IDs resolved once in JNI_OnLoad; they stay valid while the library is loaded.
struct JavaIds {
  jclass exception_class = nullptr;   // ai.sphereaae.AaeException
  jmethodID exception_init = nullptr; // AaeException(int, byte[], byte[])
  jmethodID sink_accept = nullptr;    // Engine.ChunkSink.accept(byte[]) -> boolean
};
JavaIds g_ids;

aae_engine* as_engine(jlong handle) {
  return reinterpret_cast<aae_engine*>(static_cast<intptr_t>(handle));
}

// A Java byte[] (UTF-8 without NUL) as a std::string; `present` false for a null array.
std::string bytes_to_string(JNIEnv* env, jbyteArray bytes, bool* present = nullptr) {
  if (present != nullptr) *present = bytes != nullptr;
  if (bytes == nullptr) return std::string();
  const jsize length = env->GetArrayLength(bytes);
  std::string text(static_cast<size_t>(length), '\0');
  if (length > 0) env->GetByteArrayRegion(bytes, 0, length, reinterpret_cast<jbyte*>(&text[0]));
  return text;
}

// A new local byte[] holding `length` bytes of `data`; null (with OutOfMemoryError pending)
// when the JVM cannot allocate it.
jbyteArray new_bytes(JNIEnv* env, const char* data, size_t length) {
  jbyteArray array = env->NewByteArray(static_cast<jsize>(length));
  if (array != nullptr && length > 0) {
    env->SetByteArrayRegion(array, 0, static_cast<jsize>(length),
                            reinterpret_cast<const jbyte*>(data));
  }
  return array;
}

// Throws AaeException(status, message, response_json); response_json may be null.
void throw_aae(JNIEnv* env, int status, const std::string& message,
               const char* response_json = nullptr) {
  if (env->ExceptionCheck()) return;  // an OutOfMemoryError already on its way wins
  jbyteArray jmessage = new_bytes(env, message.data(), message.size());
  if (jmessage == nullptr) return;
  jbyteArray jresponse = nullptr;
  if (response_json != nullptr) {
    jresponse = new_bytes(env, response_json, std::strlen(response_json));
    if (jresponse == nullptr) return;
  }
  jobject exception = env->NewObject(g_ids.exception_class, g_ids.exception_init,
                                     static_cast<jint>(status), jmessage, jresponse);
  if (exception != nullptr) env->Throw(static_cast<jthrowable>(exception));
  env->DeleteLocalRef(jmessage);
  if (jresponse != nullptr) env->DeleteLocalRef(jresponse);
  if (exception != nullptr) env->DeleteLocalRef(exception);
}

// The message of the failure that just happened on this thread (aae_last_error is
// thread-local), with the call that failed in front.
void throw_last_error(JNIEnv* env, aae_status status, const char* call) {
  const char* last = aae_last_error();
  std::string message = std::string(call) + " failed";
  if (last != nullptr && last[0] != '\0') message += ": " + std::string(last);
  throw_aae(env, static_cast<int>(status), message);
}

jlong JNICALL native_open(JNIEnv* env, jclass, jbyteArray model_dir, jbyteArray model_lib_path,
                          jint threads) {
  const std::string dir = bytes_to_string(env, model_dir);
  const std::string lib = bytes_to_string(env, model_lib_path);
  aae_engine_params params;
  aae_engine_default_params(&params);
  params.model_dir = dir.c_str();
  params.model_lib_path = lib.c_str();
  params.num_threads = threads;
  aae_engine* engine = nullptr;
  const aae_status status = aae_engine_create(&params, &engine);
  if (status != AAE_OK) {
    throw_last_error(env, status, "aae_engine_create");
    return 0;
  }
  return static_cast<jlong>(reinterpret_cast<intptr_t>(engine));
}

jlong JNICALL native_from_app_config(JNIEnv* env, jclass, jbyteArray app_config_path,
                                     jbyteArray model_id, jbyteArray downloads_dir,
                                     jbyteArray model_lib_path, jint threads) {
  const std::string path = bytes_to_string(env, app_config_path);
  const std::string id = bytes_to_string(env, model_id);
  bool has_downloads = false;
  const std::string downloads = bytes_to_string(env, downloads_dir, &has_downloads);
  bool has_lib = false;
  const std::string lib = bytes_to_string(env, model_lib_path, &has_lib);
  aae_app_config* config = nullptr;
  aae_status status = aae_app_config_open(path.c_str(), &config);
  if (status != AAE_OK) {
    throw_last_error(env, status, "aae_app_config_open");
    return 0;
  }
  aae_engine_params params;
  aae_engine_default_params(&params);
  params.num_threads = threads;
  if (has_lib) params.model_lib_path = lib.c_str();  // else the linked-in aae_system_model_lib
  aae_engine* engine = nullptr;
  status = aae_app_config_load(config, id.c_str(), has_downloads ? downloads.c_str() : nullptr,
                               &params, &engine);
  if (status != AAE_OK) {
    throw_last_error(env, status, "aae_app_config_load");  // before free touches last_error
    aae_app_config_free(config);
    return 0;
  }
  aae_app_config_free(config);
  return static_cast<jlong>(reinterpret_cast<intptr_t>(engine));
}

jbyteArray JNICALL native_version(JNIEnv* env, jclass) {
  const char* version = aae_version();
  return new_bytes(env, version, std::strlen(version));
}

// State of one streamed request, passed to the C callback through `user`. The C API calls the
// callback synchronously on the thread that called aae_chat_completion, so `env` is valid there.
struct StreamContext {
  JNIEnv* env;
  jobject sink;        // Engine.ChunkSink (a local ref owned by the native call's frame)
  aae_engine* engine;
  bool stopped = false;  // the sink refused a chunk or threw: deliver nothing more
};

void on_chunk(void* user, const char* chunk_json, size_t length) {
  auto* context = static_cast<StreamContext*>(user);
  if (context->stopped) return;
  JNIEnv* env = context->env;
  jbyteArray chunk = new_bytes(env, chunk_json, length);
  jboolean keep_going = JNI_FALSE;
  if (chunk != nullptr) {
    keep_going = env->CallBooleanMethod(context->sink, g_ids.sink_accept, chunk);
    // Streams can be thousands of chunks long; the frame holds at most this one.
    env->DeleteLocalRef(chunk);
  }
  // ChunkSink catches what the user's callback throws, so a pending exception here is the
  // JVM's own (OutOfMemoryError); it stays pending and is thrown when the native call returns.
  if (!keep_going || env->ExceptionCheck()) {
    context->stopped = true;
    aae_engine_cancel(context->engine);  // finish_reason "cancelled" before the next token
  }
}

jbyteArray JNICALL native_chat_completion(JNIEnv* env, jclass, jlong handle, jbyteArray request,
                                          jobject sink) {
  aae_engine* engine = as_engine(handle);
  const std::string request_json = bytes_to_string(env, request);
  StreamContext context{env, sink, engine};
  char* response = nullptr;
  const aae_status status =
      aae_chat_completion(engine, request_json.c_str(), sink != nullptr ? on_chunk : nullptr,
                          sink != nullptr ? &context : nullptr, &response);
  jbyteArray result = nullptr;
  if (env->ExceptionCheck()) {
    // The JVM failed during a callback; its exception is what the caller sees.
  } else if (status != AAE_OK) {
    const char* last = aae_last_error();
    std::string message = "aae_chat_completion failed";
    if (last != nullptr && last[0] != '\0') message += ": " + std::string(last);
    throw_aae(env, static_cast<int>(status), message, response);
  } else if (response == nullptr) {
    throw_aae(env, AAE_ERR_FAILED, "aae_chat_completion returned AAE_OK without a response");
  } else {
    result = new_bytes(env, response, std::strlen(response));
  }
  aae_string_free(response);
  return result;
}

void JNICALL native_cancel(JNIEnv*, jclass, jlong handle) {
  aae_engine_cancel(as_engine(handle));
}

void JNICALL native_reset_chat(JNIEnv* env, jclass, jlong handle) {
  const aae_status status = aae_engine_reset_chat(as_engine(handle));
  if (status != AAE_OK) throw_last_error(env, status, "aae_engine_reset_chat");
}

void JNICALL native_free(JNIEnv*, jclass, jlong handle) {
  aae_engine_free(as_engine(handle));
}

// JNINativeMethod takes char* in older jni.h versions; the casts keep both variants compiling.
#define AAE_NATIVE(name, signature, function) \
  {const_cast<char*>(name), const_cast<char*>(signature), reinterpret_cast<void*>(function)}

const JNINativeMethod kEngineMethods[] = {
    AAE_NATIVE("nativeOpen", "([B[BI)J", native_open),
    AAE_NATIVE("nativeFromAppConfig", "([B[B[B[BI)J", native_from_app_config),
    AAE_NATIVE("nativeVersion", "()[B", native_version),
    AAE_NATIVE("nativeChatCompletion", "(J[BLai/sphereaae/Engine$ChunkSink;)[B",
               native_chat_completion),
    AAE_NATIVE("nativeCancel", "(J)V", native_cancel),
    AAE_NATIVE("nativeResetChat", "(J)V", native_reset_chat),
    AAE_NATIVE("nativeFree", "(J)V", native_free),
};

#undef AAE_NATIVE

}  // namespace

extern "C" JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
  // A failed lookup leaves NoClassDefFoundError / NoSuchMethodError pending, which
  // System.loadLibrary reports.
  jclass exception_class = env->FindClass("ai/sphereaae/AaeException");
  if (exception_class == nullptr) return JNI_ERR;
  g_ids.exception_class = static_cast<jclass>(env->NewGlobalRef(exception_class));
  env->DeleteLocalRef(exception_class);
  g_ids.exception_init = env->GetMethodID(g_ids.exception_class, "<init>", "(I[B[B)V");
  if (g_ids.exception_init == nullptr) return JNI_ERR;

  jclass sink_class = env->FindClass("ai/sphereaae/Engine$ChunkSink");
  if (sink_class == nullptr) return JNI_ERR;
  g_ids.sink_accept = env->GetMethodID(sink_class, "accept", "([B)Z");
  env->DeleteLocalRef(sink_class);
  if (g_ids.sink_accept == nullptr) return JNI_ERR;

  jclass engine_class = env->FindClass("ai/sphereaae/Engine");
  if (engine_class == nullptr) return JNI_ERR;
  const jint registered = env->RegisterNatives(
      engine_class, kEngineMethods, sizeof(kEngineMethods) / sizeof(kEngineMethods[0]));
  env->DeleteLocalRef(engine_class);
  return registered == JNI_OK ? JNI_VERSION_1_6 : JNI_ERR;
}
