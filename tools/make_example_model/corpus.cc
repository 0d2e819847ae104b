// The English text the example tokenizer is trained on. Written for this tool; plain ASCII so
// the trainer's pre-tokenizer agrees exactly with the GPT-2 regex a runtime would apply.
#include "tools/make_example_model/bpe_trainer.h"

namespace aae::example {

std::string_view training_corpus() {
  return R"(The lighthouse stood at the end of the long stone pier, and every evening the keeper climbed the
one hundred and twelve steps to light the lamp. She had done it for nineteen years. On clear nights
the beam reached the fishing boats far out at sea; on foggy nights she rang the bell as well, once
every thirty seconds, until the morning came and the boats were safely home.

In the spring of 1987 a young engineer arrived with a crate of new equipment. "The lamp will light
itself now," he said, "and the bell will ring by itself when the fog comes in." The keeper asked what
she should do with her evenings. He didn't know. He thought it was a strange question, and he wrote
the answer down in his notebook as: "to be decided."

She kept the lighthouse anyway. She wrote the weather in the log each day: the wind, the clouds, the
height of the waves, the temperature of the water at noon. She counted the birds that rested on the
rail, the ships that passed, and the times the new lamp failed. It failed 3 times in the first year
and 11 times in the second. Each time she climbed the steps and lit the old lamp by hand.

Small models are useful for the same reason small boats are: they are quick to build, cheap to
test, and easy to carry. A model with two layers and sixty-four hidden units cannot write a poem,
but it can show whether the converter reads every tensor, whether the shapes are right, and
whether the numbers that come out on a phone match the numbers that come out on a laptop.

When the tests pass, the keeper's lamp is lit. When they fail, the log says where and why: the
name of the file, the name of the tensor, what was expected and what was found. That is the whole
point of keeping a log. It's not for the good nights; it's for the nights when something goes
wrong and there's nobody else on the pier to ask.

Years later the engineer came back. The new lamp had been replaced twice, and the bell was silent.
The keeper was still there, older, with 19 notebooks on the shelf. He read them all in one long
afternoon, then asked if he could stay for the evening and watch her climb the steps. She said
yes, of course, and they went up together as the light over the water turned from gold to grey.
)";
}

}  // namespace aae::example
