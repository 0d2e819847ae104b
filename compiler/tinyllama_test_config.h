// Test-only: a TinyLlama-1.1B-shaped q4f16_1 chat config as MLC's gen_config writes it
// (hidden 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 32000, ctx 2048, chunk 128).
// No weights are needed to generate or compile its model library.
#pragma once

#include <nlohmann/json.hpp>

namespace aae::testing {

inline nlohmann::json tinyllama_chat_config() {
  return nlohmann::json::parse(R"({
  "version": "0.1.0",
  "model_type": "llama",
  "quantization": "q4f16_1",
  "model_config": {
    "hidden_size": 2048, "intermediate_size": 5632, "num_attention_heads": 32,
    "num_hidden_layers": 22, "rms_norm_eps": 1e-05, "vocab_size": 32000,
    "tie_word_embeddings": false, "position_embedding_base": 10000.0, "rope_scaling": null,
    "context_window_size": 2048, "prefill_chunk_size": 128, "num_key_value_heads": 4,
    "head_dim": 64, "tensor_parallel_shards": 1, "pipeline_parallel_stages": 1,
    "max_batch_size": 1, "disaggregation": false
  },
  "vocab_size": 32000,
  "context_window_size": 2048,
  "sliding_window_size": -1,
  "prefill_chunk_size": 128,
  "attention_sink_size": -1,
  "tensor_parallel_shards": 1,
  "pipeline_parallel_stages": 1,
  "temperature": 0.7,
  "top_p": 0.95,
  "tokenizer_files": ["tokenizer.json"],
  "conv_template": "llama-2",
  "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2
})");
}

}  // namespace aae::testing
