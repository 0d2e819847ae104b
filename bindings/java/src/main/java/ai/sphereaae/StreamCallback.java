package ai.sphereaae;

/**
 * Receives the streamed pieces of a chat completion ({@link Engine#chatCompletion(String,
 * StreamCallback)} with {@code "stream": true} in the request).
 *
 * <p>Called on the thread that called {@code chatCompletion}, once per
 * {@code "chat.completion.chunk"} JSON object, in order; the last one carries
 * {@code finish_reason} and {@code usage}. An exception thrown here cancels the request; it then
 * reaches the caller as the cause of an {@link AaeException} with status
 * {@link AaeException#CANCELLED}.
 */
public interface StreamCallback {
  void onChunk(String chunkJson) throws Exception;
}
