package ai.sphereaae;

import java.nio.charset.StandardCharsets;

/**
 * A failure of the native runtime: the C API's status code (include/sphere_aae/aae.h) and the
 * message of {@code aae_last_error()}. For a chat completion that the runtime refused (a
 * malformed request, a prompt longer than the context window) {@link #getResponseJson()} holds
 * the OpenAI error object {@code {"error": {"message", "type", "param", "code"}}}; for a request
 * cancelled by an exception in the stream callback it holds the "chat.completion" object with
 * finish_reason "cancelled".
 */
public class AaeException extends Exception {
  private static final long serialVersionUID = 1L;

  // The values of aae_status.
  public static final int INVALID_ARGUMENT = 1;
  public static final int NOT_FOUND = 2;
  public static final int MISMATCH = 3;
  public static final int CONTEXT_OVERFLOW = 4;
  public static final int CANCELLED = 5;
  public static final int FAILED = 6;
  public static final int OUT_OF_MEMORY = 7;

  private final int status;
  private final String responseJson;

  public AaeException(int status, String message, String responseJson) {
    super(message);
    this.status = status;
    this.responseJson = responseJson;
  }

  public AaeException(int status, String message, String responseJson, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.responseJson = responseJson;
  }

  // Made by the JNI code: the texts arrive as UTF-8 bytes (JNI's NewStringUTF reads modified
  // UTF-8, which mangles characters outside the BMP such as emoji). responseJson may be null.
  AaeException(int status, byte[] message, byte[] responseJson) {
    this(status, Engine.utf8(message), responseJson == null ? null : Engine.utf8(responseJson));
  }

  /** The aae_status value, e.g. {@link #INVALID_ARGUMENT}. */
  public int getStatus() {
    return status;
  }

  /** The status as its C name without the prefix, e.g. "INVALID_ARGUMENT". */
  public String getStatusName() {
    return statusName(status);
  }

  /** The JSON body the runtime returned with the failure, or null when there is none. */
  public String getResponseJson() {
    return responseJson;
  }

  public static String statusName(int status) {
    switch (status) {
      case 0: return "OK";
      case INVALID_ARGUMENT: return "INVALID_ARGUMENT";
      case NOT_FOUND: return "NOT_FOUND";
      case MISMATCH: return "MISMATCH";
      case CONTEXT_OVERFLOW: return "CONTEXT_OVERFLOW";
      case CANCELLED: return "CANCELLED";
      case FAILED: return "FAILED";
      case OUT_OF_MEMORY: return "OUT_OF_MEMORY";
      default: return "STATUS_" + status;
    }
  }

  @Override
  public String toString() {
    return "AaeException(" + getStatusName() + "): " + getMessage();
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
