// Test-only: a one-layer llama chat config small enough to compile in well under a second, and
// a helper compiling it with compile_model_lib. `hidden` changes the model_lib name, so two
// calls with different values give two libraries that can share an archive.
#pragma once

#include <filesystem>
#include <string>

#include "compiler/compile_model_lib.h"
#include "compiler/tinyllama_test_config.h"
#include "tests/support/test_support.h"

namespace aae::testing {

inline nlohmann::json small_chat_config(int hidden = 64) {
  auto chat = tinyllama_chat_config();
  auto& mc = chat["model_config"];
  mc["hidden_size"] = hidden;
  mc["intermediate_size"] = 96;
  mc["num_attention_heads"] = 4;
  mc["num_key_value_heads"] = 4;
  mc["head_dim"] = hidden / 4;
  mc["num_hidden_layers"] = 1;
  mc["vocab_size"] = 100;
  chat["vocab_size"] = 100;
  chat["context_window_size"] = 32;
  mc["context_window_size"] = 32;
  return chat;
}

// The checkout holding modellib/ and include/ (this header lives in compiler/).
inline std::string model_lib_source_checkout() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().string();
}

// Writes small_chat_config(hidden) into `model_dir` and compiles it to `output` for `device`.
inline Result<CompileOutcome> compile_small_model(const std::filesystem::path& model_dir,
                                                  const std::string& device,
                                                  const std::string& output, int hidden = 64) {
  std::filesystem::create_directories(model_dir);
  write_file(model_dir / "mlc-chat-config.json", small_chat_config(hidden).dump(2));
  CompileRequest req;
  req.model_dir = model_dir.string();
  req.device = device;
  req.output = output;
  req.source_dir = model_lib_source_checkout();
  return compile_model_lib(req);
}

}  // namespace aae::testing
