package ai.sphereaae;

import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks of the Java binding on a real model (stories260K, made by test/run_java_test.sh).
 * A plain main (no test framework): every check prints its name and PASS or FAIL; the exit
 * status is the number of failures (0: all passed).
 * Usage: EngineTest MODEL_DIR MODEL_LIB_PATH
 */
public final class EngineTest {
  private static int failures = 0;
  private static String modelDir;
  private static String modelLib;

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: EngineTest MODEL_DIR MODEL_LIB_PATH");
      System.exit(2);
    }
    modelDir = args[0];
    modelLib = args[1];
    run("StreamedChunksConcatenateToTheNonStreamedText", EngineTest::streamedEqualsNonStreamed);
    run("CancelFromAnotherThreadStopsTheStream", EngineTest::cancelFromAnotherThread);
    run("MalformedRequestThrowsWithTheOpenAiErrorJson", EngineTest::malformedRequest);
    run("NonBmpTextRoundTripsThroughTheRequest", EngineTest::emojiRoundTrip);
    run("CallbackExceptionCancelsTheRequest", EngineTest::callbackException);
    run("ResetChatForgetsTheCachedPrefix", EngineTest::resetChat);
    run("MissingModelDirThrowsNotFound", EngineTest::missingModelDir);
    run("FromAppConfigLoadsABundledModel", EngineTest::fromAppConfig);
    run("FromAppConfigErrorsNameWhatIsMissing", EngineTest::fromAppConfigErrors);
    run("ClosedEngineThrows", EngineTest::closedEngine);
    run("CallsFromInsideACallbackAreSafe", EngineTest::callsFromCallback);
    System.out.println(failures == 0 ? "all checks passed" : failures + " check(s) failed");
    System.exit(failures);
  }

  interface Check {
    void run() throws Exception;
  }

  private static void run(String name, Check check) {
    try {
      check.run();
      System.out.println("PASS " + name);
    } catch (Throwable t) {
      failures++;
      System.out.println("FAIL " + name + ": " + t);
      t.printStackTrace(System.out);
    }
  }

  private static void expect(boolean condition, String what) {
    if (!condition) throw new AssertionError(what);
  }

  private static void expectEquals(Object expected, Object actual, String what) {
    if (expected == null ? actual != null : !expected.equals(actual)) {
      throw new AssertionError(what + ": expected <" + expected + "> but found <" + actual + ">");
    }
  }

  private static Engine openEngine() throws AaeException {
    return Engine.open(modelDir, modelLib, 1);
  }

  private static String request(String content, int maxTokens, boolean stream) {
    return "{\"messages\":[{\"role\":\"user\",\"content\":" + Json.quote(content) + "}],"
        + "\"temperature\":0,\"max_tokens\":" + maxTokens + ",\"stream\":" + stream + "}";
  }

  // choices[0].message.content of a "chat.completion".
  private static String content(Map<String, Object> completion) {
    return (String) Json.path(completion, "choices", 0, "message", "content");
  }

  private static String finishReason(Map<String, Object> completionOrChunk) {
    return (String) Json.path(completionOrChunk, "choices", 0, "finish_reason");
  }

  /** Collects the streamed chunks and the concatenation of their delta contents. */
  static final class Collector implements StreamCallback {
    final List<Map<String, Object>> chunks = new ArrayList<Map<String, Object>>();
    final StringBuilder text = new StringBuilder();

    @Override
    public void onChunk(String chunkJson) {
      Map<String, Object> chunk = Json.object(chunkJson);
      expectEquals("chat.completion.chunk", chunk.get("object"), "chunk object");
      chunks.add(chunk);
      Object delta = Json.path(chunk, "choices", 0, "delta", "content");
      if (delta != null) text.append((String) delta);
    }
  }

  private static void streamedEqualsNonStreamed() throws Exception {
    try (Engine engine = openEngine()) {
      Map<String, Object> plain =
          Json.object(engine.chatCompletion(request("Tell me a story.", 48, false)));
      expectEquals("chat.completion", plain.get("object"), "object");
      String text = content(plain);
      expect(text != null && !text.isEmpty(), "the non-streamed text is empty: " + plain);

      Collector collector = new Collector();
      Map<String, Object> streamed = Json.object(
          engine.chatCompletion(request("Tell me a story.", 48, true), collector));
      expect(collector.chunks.size() >= 2, "expected content chunks and a final chunk, got "
          + collector.chunks.size());
      expectEquals(text, collector.text.toString(), "concatenated chunks");
      expectEquals(text, content(streamed), "the streamed request's returned text");
      Map<String, Object> last = collector.chunks.get(collector.chunks.size() - 1);
      expectEquals(finishReason(plain), finishReason(last), "the last chunk's finish_reason");
    }
  }

  private static void cancelFromAnotherThread() throws Exception {
    try (final Engine engine = openEngine()) {
      final Collector collector = new Collector();
      final int[] chunksBeforeCancel = {-1};
      StreamCallback cancelAtFirstChunk = new StreamCallback() {
        @Override
        public void onChunk(String chunkJson) throws Exception {
          collector.onChunk(chunkJson);
          if (chunksBeforeCancel[0] < 0) {
            chunksBeforeCancel[0] = collector.chunks.size();
            Thread canceller = new Thread(new Runnable() {
              @Override
              public void run() {
                engine.cancel();
              }
            });
            canceller.start();
            canceller.join();  // cancelled while the request is running, before its next token
          }
        }
      };
      Map<String, Object> response = Json.object(
          engine.chatCompletion(request("Tell me a long story.", 200, true), cancelAtFirstChunk));
      expectEquals("cancelled", finishReason(response), "finish_reason");
      long completionTokens = ((Number) Json.path(response, "usage", "completion_tokens"))
          .longValue();
      expect(completionTokens < 10, "cancel did not stop generation: " + completionTokens
          + " tokens");
      // The final chunk (finish_reason) and at most one piece of held-back text follow it.
      int after = collector.chunks.size() - chunksBeforeCancel[0];
      expect(after <= 2, after + " chunks arrived after the cancel");
      expectEquals("cancelled", finishReason(collector.chunks.get(collector.chunks.size() - 1)),
          "the last chunk's finish_reason");

      // The engine serves the next request normally.
      Map<String, Object> next = Json.object(engine.chatCompletion(request("Hi.", 4, false)));
      expect(!"cancelled".equals(finishReason(next)), "the next request was cancelled too");
    }
  }

  private static void malformedRequest() throws Exception {
    try (Engine engine = openEngine()) {
      String[] bad = {
          "{\"messages\": 5}",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":-3}",
          "{not json",
      };
      for (String body : bad) {
        try {
          engine.chatCompletion(body);
          throw new AssertionError("no exception for " + body);
        } catch (AaeException e) {
          expectEquals(AaeException.INVALID_ARGUMENT, e.getStatus(), "status for " + body);
          expect(e.getMessage() != null && !e.getMessage().isEmpty(), "empty message");
          expect(e.getResponseJson() != null, "no response JSON for " + body);
          Map<String, Object> error = Json.object(e.getResponseJson());
          expectEquals("invalid_request_error", Json.path(error, "error", "type"),
              "error.type for " + body);
          String message = (String) Json.path(error, "error", "message");
          expect(message != null && e.getMessage().contains(message),
              "the exception message lacks the error's: " + e.getMessage() + " / " + message);
        }
      }
      // A refused request leaves the engine usable.
      Map<String, Object> ok = Json.object(engine.chatCompletion(request("Hi.", 4, false)));
      expectEquals("chat.completion", ok.get("object"), "object after errors");
    }
  }

  private static void emojiRoundTrip() throws Exception {
    // U+1F600 and U+1F98A are outside the BMP (surrogate pairs in Java, 4 bytes in UTF-8): JNI's
    // modified UTF-8 would send them as 6 bytes each and the JSON would not round-trip.
    String name = "mödel-\uD83D\uDE00-\uD83E\uDD8A";
    expectEquals(16, name.getBytes(StandardCharsets.UTF_8).length, "UTF-8 bytes of the name");
    try (Engine engine = openEngine()) {
      String body = "{\"model\":" + Json.quote(name) + ",\"messages\":[{\"role\":\"user\","
          + "\"content\":" + Json.quote("Say \uD83D\uDE00 please") + "}],"
          + "\"temperature\":0,\"max_tokens\":4}";
      Map<String, Object> response = Json.object(engine.chatCompletion(body));
      expectEquals(name, response.get("model"), "the echoed model name");
      long promptTokens = ((Number) Json.path(response, "usage", "prompt_tokens")).longValue();
      expect(promptTokens > 0, "no prompt tokens");
    }
  }

  private static void callbackException() throws Exception {
    try (Engine engine = openEngine()) {
      final int[] calls = {0};
      try {
        engine.chatCompletion(request("Tell me a story.", 100, true), new StreamCallback() {
          @Override
          public void onChunk(String chunkJson) {
            calls[0]++;
            throw new IllegalStateException("stop here");
          }
        });
        throw new AssertionError("no exception from a throwing callback");
      } catch (AaeException e) {
        expectEquals(AaeException.CANCELLED, e.getStatus(), "status");
        expect(e.getCause() instanceof IllegalStateException, "cause: " + e.getCause());
        expectEquals(1, calls[0], "callback calls after it threw");
        expectEquals("cancelled", finishReason(Json.object(e.getResponseJson())),
            "finish_reason in the response");
      }
    }
  }

  private static void resetChat() throws Exception {
    try (Engine engine = openEngine()) {
      String body = request("Tell me a story.", 8, false);
      Map<String, Object> first = Json.object(engine.chatCompletion(body));
      Map<String, Object> again = Json.object(engine.chatCompletion(body));
      expectEquals(content(first), content(again), "greedy text of a repeated request");
      Number cached =
          (Number) Json.path(again, "usage", "prompt_tokens_details", "cached_tokens");
      expect(cached.longValue() > 0, "the repeated request reused no prefix");
      engine.resetChat();
      Map<String, Object> afterReset = Json.object(engine.chatCompletion(body));
      expectEquals(content(first), content(afterReset), "text after resetChat");
      Number cachedAfter =
          (Number) Json.path(afterReset, "usage", "prompt_tokens_details", "cached_tokens");
      expectEquals(0L, cachedAfter.longValue(), "cached tokens after resetChat");
    }
  }

  private static void missingModelDir() {
    String missing = modelDir + "-does-not-exist-\u00e9";
    try {
      Engine.open(missing, modelLib, 1).close();
      throw new AssertionError("opened a missing model directory");
    } catch (AaeException e) {
      expectEquals(AaeException.NOT_FOUND, e.getStatus(), "status");
      expect(e.getMessage().contains(missing), "message does not name " + missing + ": "
          + e.getMessage());
    }
  }

  // An app config beside the model directory naming it by its folder name (model_path is
  // relative to the app config's folder).
  private static String writeAppConfig() throws Exception {
    File model = new File(modelDir).getAbsoluteFile();
    File config = new File(model.getParentFile(), "java-test-app-config.json");
    String json = "{\"model_list\": [{\"model_id\": \"stories\", \"model_lib\": "
        + "\"stories_q0f32_not_linked\", \"model_path\": " + Json.quote(model.getName())
        + ", \"estimated_vram_bytes\": 1000}]}";
    OutputStream out = new FileOutputStream(config);
    try {
      out.write(json.getBytes(StandardCharsets.UTF_8));
    } finally {
      out.close();
    }
    return config.getPath();
  }

  private static void fromAppConfig() throws Exception {
    String config = writeAppConfig();
    try (Engine engine = Engine.fromAppConfig(config, "stories", null, modelLib, 1)) {
      Map<String, Object> response = Json.object(engine.chatCompletion(request("Hi.", 4, false)));
      expectEquals("chat.completion", response.get("object"), "object");
    }
  }

  private static void fromAppConfigErrors() throws Exception {
    String config = writeAppConfig();
    try {
      Engine.fromAppConfig(config, "no-such-model", null, modelLib, 1).close();
      throw new AssertionError("loaded an unknown model_id");
    } catch (AaeException e) {
      expectEquals(AaeException.NOT_FOUND, e.getStatus(), "status for an unknown model_id");
      expect(e.getMessage().contains("stories"), "the message does not list the model ids: "
          + e.getMessage());
    }
    try {
      // The desktop JNI library links no libmodel_<device>.a.
      Engine.fromAppConfig(config, "stories", null, 1).close();
      throw new AssertionError("loaded a model library that is not linked in");
    } catch (AaeException e) {
      expectEquals(AaeException.NOT_FOUND, e.getStatus(), "status for a missing model library");
      expect(e.getMessage().contains("stories_q0f32_not_linked"),
          "the message does not name the library: " + e.getMessage());
    }
    try {
      Engine.fromAppConfig(config + ".missing", "stories", null, modelLib, 1).close();
      throw new AssertionError("opened a missing app config");
    } catch (AaeException e) {
      expectEquals(AaeException.NOT_FOUND, e.getStatus(), "status for a missing file");
    }
  }

  private static void closedEngine() throws Exception {
    Engine engine = openEngine();
    engine.close();
    engine.close();  // idempotent
    engine.cancel();  // no effect, no crash
    try {
      engine.chatCompletion(request("Hi.", 2, false));
      throw new AssertionError("a closed engine ran a request");
    } catch (AaeException e) {
      expectEquals(AaeException.INVALID_ARGUMENT, e.getStatus(), "status");
    }
  }

  private static void callsFromCallback() throws Exception {
    final Engine engine = openEngine();
    final AaeException[] nested = {null};
    final int[] calls = {0};
    Map<String, Object> response = Json.object(engine.chatCompletion(
        request("Tell me a story.", 100, true), new StreamCallback() {
          @Override
          public void onChunk(String chunkJson) {
            calls[0]++;
            if (calls[0] > 1) return;
            try {
              engine.chatCompletion(request("Hi.", 2, false));  // would overlap: refused
            } catch (AaeException e) {
              nested[0] = e;
            }
            engine.close();  // cancels now, frees once the request has returned
          }
        }));
    expect(nested[0] != null, "a nested request was not refused");
    expectEquals(AaeException.INVALID_ARGUMENT, nested[0].getStatus(), "nested status");
    expectEquals("cancelled", finishReason(response), "finish_reason after close()");
    try {
      engine.chatCompletion(request("Hi.", 2, false));
      throw new AssertionError("the engine closed in a callback still ran a request");
    } catch (AaeException e) {
      expectEquals(AaeException.INVALID_ARGUMENT, e.getStatus(), "status after close");
    }
  }
}
