package ai.sphereaae;

import java.nio.charset.StandardCharsets;

/**
 * One loaded model (weights, tokenizer, model library) answering OpenAI-style chat completions.
 * A thin layer over the C API (include/sphere_aae/aae.h, aae_chat.h, aae_app_config.h) through
 * the JNI library libsphere_aae_jni.so.
 *
 * <pre>
 * try (Engine engine = Engine.open(modelDir, modelLibPath, 0)) {
 *   String response = engine.chatCompletion(
 *       "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
 * }
 * </pre>
 *
 * <p>Threads: requests on one engine run one at a time (a second caller waits); {@link #cancel()}
 * may be called from any thread; {@link #close()} cancels a running request, waits for it, then
 * frees the native engine. Different engines are independent.
 */
public final class Engine implements AutoCloseable {
  static {
    System.loadLibrary("sphere_aae_jni");
  }

  private final Object callLock = new Object();    // serializes requests and close()
  private final Object handleLock = new Object();  // guards `handle` between cancel() and close()
  private long handle;                             // the native aae_engine*, 0 once closed
  private boolean closeWhenIdle;                   // close() ran inside a stream callback

  private Engine(long handle) {
    this.handle = handle;
  }

  /**
   * Loads the model in {@code modelDir} (chat config, tensor cache, tokenizer) with the model
   * library {@code modelLibPath} written by {@code sphere_aae compile}. {@code threads}: 0 for
   * one per core.
   */
  public static Engine open(String modelDir, String modelLibPath, int threads)
      throws AaeException {
    if (modelDir == null || modelLibPath == null) {
      throw new AaeException(AaeException.INVALID_ARGUMENT,
          "Engine.open: modelDir and modelLibPath must not be null", null);
    }
    return new Engine(nativeOpen(AaeException.bytes(modelDir), AaeException.bytes(modelLibPath),
        threads));
  }

  /**
   * Loads {@code modelId} from the app config that {@code sphere_aae package} wrote
   * (sphere-aae-app-config.json) with {@code aae_app_config_load}: bundled weights are found
   * beside the app config, downloaded ones in {@code downloadsDir}/&lt;model_id&gt;/
   * ({@code downloadsDir} may be null for an app with bundled weights only). The model library
   * is the one linked into the app (libmodel_android.a in the Android module's JNI library).
   *
   * @throws AaeException NOT_FOUND for a missing file, model_id, weights folder or model
   *     library; OUT_OF_MEMORY when the device has less memory than estimated_vram_bytes.
   */
  public static Engine fromAppConfig(String appConfigPath, String modelId, String downloadsDir,
      int threads) throws AaeException {
    return fromAppConfig(appConfigPath, modelId, downloadsDir, null, threads);
  }

  /**
   * As {@link #fromAppConfig(String, String, String, int)} with the model library taken from
   * {@code modelLibPath} (a shared object written by {@code sphere_aae compile}, for desktop
   * JVMs whose JNI library links no libmodel_&lt;device&gt;.a); null: the linked-in one.
   */
  public static Engine fromAppConfig(String appConfigPath, String modelId, String downloadsDir,
      String modelLibPath, int threads) throws AaeException {
    if (appConfigPath == null || modelId == null) {
      throw new AaeException(AaeException.INVALID_ARGUMENT,
          "Engine.fromAppConfig: appConfigPath and modelId must not be null", null);
    }
    return new Engine(nativeFromAppConfig(AaeException.bytes(appConfigPath),
        AaeException.bytes(modelId),
        downloadsDir == null ? null : AaeException.bytes(downloadsDir),
        modelLibPath == null ? null : AaeException.bytes(modelLibPath), threads));
  }

  /** The runtime's version, e.g. "0.1.0". */
  public static String version() {
    return utf8(nativeVersion());
  }

  /**
   * Runs one request (JSON of OpenAI's /v1/chat/completions; the whole conversation) and
   * returns the "chat.completion" object. A request with {@code "stream": true} runs too; its
   * chunks are not delivered anywhere (use the overload with a callback).
   *
   * @throws AaeException a malformed request (status INVALID_ARGUMENT) or a prompt longer than
   *     the context window (CONTEXT_OVERFLOW), with the OpenAI error object in
   *     {@link AaeException#getResponseJson()}; or a failure of the engine.
   */
  public String chatCompletion(String requestJson) throws AaeException {
    return run(requestJson, null);
  }

  /**
   * As {@link #chatCompletion(String)}, and for a request with {@code "stream": true},
   * {@code callback} receives each "chat.completion.chunk" as it is generated (on this thread).
   * The returned object still holds the whole text. An exception from the callback cancels the
   * request and is thrown as the cause of an AaeException with status CANCELLED.
   */
  public String chatCompletion(String requestJson, StreamCallback callback) throws AaeException {
    return run(requestJson, callback == null ? null : new ChunkSink(callback));
  }

  /**
   * Stops the request running on this engine before its next token (it returns normally, with
   * finish_reason "cancelled"). Thread-safe; no effect when no request runs.
   */
  public void cancel() {
    synchronized (handleLock) {
      if (handle != 0) nativeCancel(handle);
    }
  }

  /** Forgets the conversation held in the KV cache: the next request prefills all of it. */
  public void resetChat() throws AaeException {
    refuseInsideCallback("resetChat");
    synchronized (callLock) {
      nativeResetChat(openHandle());
    }
  }

  /**
   * Cancels a running request, waits for it, and frees the native engine. Idempotent. Called
   * from a stream callback, it cancels the request and frees the engine once it has returned.
   */
  @Override
  public void close() {
    cancel();
    if (Thread.holdsLock(callLock)) {  // inside a callback: the native call is still running
      closeWhenIdle = true;
      return;
    }
    synchronized (callLock) {
      free();
    }
  }

  // Caller holds callLock, so no native call is running.
  private void free() {
    long freed;
    synchronized (handleLock) {
      freed = handle;
      handle = 0;
    }
    if (freed != 0) nativeFree(freed);
  }

  // The C API forbids overlapping calls on one engine; a callback runs inside one.
  private void refuseInsideCallback(String what) throws AaeException {
    if (Thread.holdsLock(callLock)) {
      throw new AaeException(AaeException.INVALID_ARGUMENT,
          what + " called from a stream callback of the same engine", null);
    }
  }

  private String run(String requestJson, ChunkSink sink) throws AaeException {
    if (requestJson == null) {
      throw new AaeException(AaeException.INVALID_ARGUMENT,
          "chatCompletion: requestJson must not be null", null);
    }
    refuseInsideCallback("chatCompletion");
    byte[] response;
    synchronized (callLock) {
      long engine = openHandle();
      try {
        response = nativeChatCompletion(engine, AaeException.bytes(requestJson), sink);
      } catch (AaeException e) {
        if (sink != null && sink.failure != null && e.getCause() == null) {
          e.initCause(sink.failure);
        }
        throw e;
      } finally {
        if (closeWhenIdle) free();
      }
    }
    String text = utf8(response);
    if (sink != null && sink.failure != null) {
      if (sink.failure instanceof Error) throw (Error) sink.failure;
      throw new AaeException(AaeException.CANCELLED,
          "the stream callback threw " + sink.failure + "; the request was cancelled", text,
          sink.failure);
    }
    return text;
  }

  private long openHandle() throws AaeException {
    synchronized (handleLock) {
      if (handle == 0) {
        throw new AaeException(AaeException.INVALID_ARGUMENT, "the engine is closed", null);
      }
      return handle;
    }
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /**
   * Called by the JNI code once per streamed chunk (UTF-8 bytes of one JSON object). Returns
   * false to stop the request: the callback threw (kept in {@code failure}).
   */
  static final class ChunkSink {
    final StreamCallback callback;
    Throwable failure;

    ChunkSink(StreamCallback callback) {
      this.callback = callback;
    }

    boolean accept(byte[] chunk) {
      if (failure != null) return false;
      try {
        callback.onChunk(utf8(chunk));
        return true;
      } catch (Throwable t) {
        failure = t;
        return false;
      }
    }
  }

  // Strings cross as UTF-8 bytes without a terminating NUL; the JNI code adds it.
  private static native long nativeOpen(byte[] modelDir, byte[] modelLibPath, int threads)
      throws AaeException;
  private static native long nativeFromAppConfig(byte[] appConfigPath, byte[] modelId,
      byte[] downloadsDir, byte[] modelLibPath, int threads) throws AaeException;
  private static native byte[] nativeVersion();
  private static native byte[] nativeChatCompletion(long engine, byte[] request, ChunkSink sink)
      throws AaeException;
  private static native void nativeCancel(long engine);
  private static native void nativeResetChat(long engine) throws AaeException;
  private static native void nativeFree(long engine);
}
